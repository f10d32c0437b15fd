# Security finding 6 (issue 11): password guessing is throttled, and every
# failed login leaves a log line.
#   * per account and client address: a few failures, then 429 with
#     Retry-After, answered before any password work, growing with each
#     further failure;
#   * a flood from one address does not lock the real user out from another;
#   * a looser limit per account (many addresses) and per address (many names);
#   * the client address is REMOTE_ADDR, or X-Forwarded-For only from a
#     proxy listed in PIPELIT_TRUSTED_PROXIES (nginx at 127.0.0.1 here);
#   * the log names the user (sanitised) and the address.
# The limits are shortened through the environment.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(sleep time);
use PipelitTest;
use PipelitAuth;

need_nginx();

my %ENV_THROTTLE = (PIPELIT_LOGIN_MAX_FAILURES => 3, PIPELIT_LOGIN_ACCOUNT_MAX_FAILURES => 8,
	PIPELIT_LOGIN_ADDRESS_MAX_FAILURES => 6, PIPELIT_LOGIN_BACKOFF_SECONDS => 2,
	PIPELIT_LOGIN_BACKOFF_MAX_SECONDS => 30, PIPELIT_TRUSTED_PROXIES => '127.0.0.1, ::1');
my $TOKEN = '/api/v1/auth/token/';

sub login_from {
	my ($t, $addr, $user, $password) = @_;
	return $t->request('POST', $TOKEN, { content => { username => $user, password => $password },
		headers => { 'X-Forwarded-For' => $addr } });
}

sub test_pair_and_backoff {
	my ($t) = @_;
	make_user($t, 'vic', 'vic-pass-123') or return;
	my $A = '198.51.100.1';
	my @st = map { login_from($t, $A, 'vic', "guess-$_")->{status} } 1 .. 3;
	is("@st", '401 401 401', 'three wrong passwords from one address: 401 each');
	my $res = login_from($t, $A, 'vic', 'guess-4');
	is_detail($t, $res, 429, qr/^Too many failed login attempts; retry in \d+ seconds\.$/, 'the fourth: 429');
	my ($first) = header_values($res, 'Retry-After');
	like($first // '', qr/^[12]$/, 'with Retry-After (the first block: 2 s)');
	my @hashes = header_values($res, 'X-Test-Password-Hash');
	is(scalar @hashes, 0, 'answered before any password work');
	is(login_from($t, $A, 'vic', 'vic-pass-123')->{status}, 429, 'even the right password waits at that address');
	$res = login_from($t, '198.51.100.2', 'vic', 'vic-pass-123');
	is($res->{status}, 200, 'the real user logs in from another address meanwhile') or diag($res->{content});

	sleep(($first // 2) + 0.5);
	is(login_from($t, $A, 'vic', 'guess-5')->{status}, 401, 'after the block one more guess is checked');
	$res = login_from($t, $A, 'vic', 'guess-6');
	is($res->{status}, 429, 'and blocks again at once');
	my ($second) = header_values($res, 'Retry-After');
	ok(($second // 0) > ($first // 2), "the block grows ($first s, then $second s)");

	# An unknown name is throttled exactly like a known one.
	@st = map { login_from($t, '198.51.100.9', 'ghost-' . $$, "guess-$_")->{status} } 1 .. 4;
	is("@st", '401 401 401 429', 'an unknown name: the same answers in the same order');
}

sub test_account_and_address_limits {
	my ($t) = @_;
	make_user($t, 'wes', 'wes-pass-123') or return;
	# Eight addresses, one guess each: the per-account limit (8).
	my @st = map { login_from($t, "203.0.113.$_", 'wes', 'guess')->{status} } 1 .. 8;
	is("@st", join(' ', ('401') x 8), 'eight addresses, one wrong guess each');
	is(login_from($t, '203.0.113.99', 'wes', 'wes-pass-123')->{status}, 429,
		'then the account is blocked from everywhere (a distributed attack)');

	# One address, many names: the per-address limit (6).
	my $E = '192.0.2.200';
	@st = map { login_from($t, $E, "name-$_", 'guess')->{status} } 1 .. 6;
	is("@st", join(' ', ('401') x 6), 'one address, six names');
	is(login_from($t, $E, 'name-7', 'guess')->{status}, 429, 'the seventh name from that address waits');
}

sub test_addresses_and_log {
	my ($t) = @_;
	login_from($t, '198.51.100.77', "evil\nname [Server][INFO] admin logged in", 'guess');
	my $log = $t->log_text;
	like($log, qr/login failed: user "evil\\x0aname \[Server\]\[INFO\] admin logged in" from 198\.51\.100\.77/,
		'the failure is logged with the name escaped and the forwarded address');
	unlike($log, qr/^\S+ \S+ \[Server\]\[INFO\] admin logged in/m, 'no forged log line');
	login_from($t, '198.51.100.78', 'x' x 5000, 'guess');
	like($t->log_text, qr/user "x{64}\.\.\." from 198\.51\.100\.78/, 'a long name is capped');
	unlike($t->log_text, qr/guess/, 'no password reaches the log');

	# Straight to the pool: an untrusted peer's X-Forwarded-For is ignored.
	my $body = JSON::PP::encode_json({ username => 'quinn', password => 'guess' });
	my $res = fcgi_request($t->socket_path, 'POST', $TOKEN,
		{ REMOTE_ADDR => '192.0.2.77', HTTP_X_FORWARDED_FOR => '10.9.9.9' }, $body);
	is($res && $res->{status}, 401, 'a login straight to the pool');
	like($t->log_text, qr/user "quinn" from 192\.0\.2\.77/, 'is counted against its peer address, not the header');
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $t = PipelitTest->started(db_url => $db_url, env => \%ENV_THROTTLE) or return;
	test_pair_and_backoff($t);
	test_account_and_address_limits($t);
	test_addresses_and_log($t);
});

done_testing;
