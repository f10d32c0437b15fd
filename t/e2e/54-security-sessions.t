# Security finding 22 (issue 11): sessions end.
#   * POST /auth/logout/ revokes the session key it is called with (a named
#     API key is not a session: 400, and it keeps working);
#   * a session key unused for PIPELIT_SESSION_IDLE_SECONDS expires, and
#     every session key expires PIPELIT_SESSION_MAX_SECONDS after its login,
#     used or not; named API keys keep their own expires_at.
# Both limits are shortened through the environment.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(sleep time);
use PipelitTest;
use PipelitAuth;

need_nginx();

my ($IDLE, $MAX) = (3, 8);
my %ENV_SESSIONS = (PIPELIT_SESSION_IDLE_SECONDS => $IDLE, PIPELIT_SESSION_MAX_SECONDS => $MAX);
my $ME = '/api/v1/auth/me/';
my $LOGOUT = '/api/v1/auth/logout/';

sub test_logout {
	my ($t) = @_;
	my $session = make_user($t, 'lena', 'lena-pass-123') or return;
	my $named = make_key($t, $session, 'lena-script') or return fail('a named key');
	is_detail($t, $t->post($LOGOUT, '', bearer($named->{key})), 400, qr/^Not a session key/,
		'logout with a named API key: 400');
	is($t->get($ME, bearer($named->{key}))->{status}, 200, 'and the named key still works');
	my $res = $t->post($LOGOUT, '', bearer($session));
	is($res->{status}, 204, 'logout with the session key: 204');
	is_detail($t, $t->get($ME, bearer($session)), 401, 'API key has been revoked.', 'the session key is revoked');
	is($t->post($LOGOUT, '', bearer($session))->{status}, 401, 'a second logout with it: 401');
	is($t->get($ME, bearer($named->{key}))->{status}, 200, 'the named key is untouched');
	is_detail($t, $t->post($LOGOUT, ''), 401, 'Not authenticated', 'logout without a key: 401');
	ok(login($t, 'lena', 'lena-pass-123'), 'logging in again works');
}

sub test_idle_and_lifetime {
	my ($t) = @_;
	my $session = make_user($t, 'ivan', 'ivan-pass-123') or return;
	my $named = make_key($t, $session, 'ivan-script') or return fail('a named key');
	# In use every second: the idle limit never strikes, the lifetime does.
	my $start = time;
	my (@early, @late);
	while (time - $start < $MAX + 2) {
		my $st = $t->get($ME, bearer($session))->{status};
		push @{ time - $start < $MAX - 2 ? \@early : time - $start > $MAX + 1 ? \@late : [] }, $st;
		sleep 0.8;
	}
	ok(@early && !grep({ $_ != 200 } @early), 'a session in use outlives its idle limit (' . scalar(@early) . ' requests)');
	ok(@late && !grep({ $_ != 401 } @late), 'but not its lifetime');
	is_detail($t, $t->get($ME, bearer($session)), 401, 'API key has expired.', 'the session key has expired');
	is($t->get($ME, bearer($named->{key}))->{status}, 200, 'a named key without expires_at is not a session');

	# Left alone: idle.
	$session = login($t, 'ivan', 'ivan-pass-123');
	is($t->get($ME, bearer($session))->{status}, 200, 'a fresh session works');
	sleep $IDLE + 1.5;
	is_detail($t, $t->get($ME, bearer($session)), 401, 'API key has expired.', 'a session left idle expires');
	my $keys = $t->json($t->get('/api/v1/users/me/keys', bearer($named->{key}))) // [];
	my ($row) = grep { $_->{name} eq 'session' } @$keys;
	like($row && $row->{expires_at} // '', qr/Z$/, 'the session key lists its absolute expiry');
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $t = PipelitTest->started(db_url => $db_url, env => \%ENV_SESSIONS) or return;
	test_logout($t);
	test_idle_and_lifetime($t);
});

done_testing;
