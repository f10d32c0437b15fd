# The access matrix: every endpoint of issues 2 and 3 asked by six
# identities, each cell with the status it must get.  Another user's object
# is a 404 (never a 403); admin-only routes are a 403 for normal users; a
# revoked or expired key is a 401 everywhere a user is required.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(sleep time);
use PipelitTest;
use PipelitAuth;

need_nginx();

my @WHO = qw(anon n1 n2 admin revoked expired);

# Placeholders in paths and bodies: {n1_id} and the like are fixtures made
# once; {fresh_*} are made anew for every cell, for the rows that destroy
# what they name.
my $TOKEN_BODY = { username => 'n1', password => 'not-the-password' };
my $LV_BODY = { username => 'nobody-at-all', code => '123456' };
my $CODE = { code => '123456' };
my $CRED = { name => 'c', credential_type => 'tool', detail => {} };

my @MATRIX = (
	# method    path                                          body         anon  n1   n2   admin rev  exp
	[ 'GET',    '/health',                                    undef,        200, 200, 200, 200, 200, 200 ],
	[ 'GET',    '/api/v1/auth/setup-status/',                 undef,        200, 200, 200, 200, 200, 200 ],
	[ 'POST',   '/api/v1/auth/setup/',                        { username => 'x', password => 'xxxxxxxx' },
	                                                                        409, 409, 409, 409, 409, 409 ],
	[ 'POST',   '/api/v1/auth/token/',                        $TOKEN_BODY,  401, 401, 401, 401, 401, 401 ],
	[ 'POST',   '/api/v1/auth/mfa/login-verify/',             $LV_BODY,     401, 401, 401, 401, 401, 401 ],
	[ 'GET',    '/api/v1/auth/me/',                           undef,        401, 200, 200, 200, 401, 401 ],
	[ 'GET',    '/api/v1/auth/mfa/status/',                   undef,        401, 200, 200, 200, 401, 401 ],
	[ 'POST',   '/api/v1/auth/mfa/setup/',                    undef,        401, 200, 200, 200, 401, 401 ],
	[ 'POST',   '/api/v1/auth/mfa/verify/',                   $CODE,        401, 400, 400, 400, 401, 401 ],
	[ 'POST',   '/api/v1/auth/mfa/disable/',                  $CODE,        401, 400, 400, 400, 401, 401 ],
	[ 'POST',   '/api/v1/auth/mfa/reset/',                    { password => 'not-the-password' },
	                                                                        401, 400, 400, 400, 401, 401 ],
	[ 'GET',    '/api/v1/users/me',                           undef,        401, 200, 200, 200, 401, 401 ],
	[ 'PATCH',  '/api/v1/users/me',                           { first_name => 'F' },
	                                                                        401, 200, 200, 200, 401, 401 ],
	[ 'GET',    '/api/v1/users/me/keys',                      undef,        401, 200, 200, 200, 401, 401 ],
	[ 'POST',   '/api/v1/users/me/keys',                      { name => 'k' },
	                                                                        401, 201, 201, 201, 401, 401 ],
	[ 'DELETE', '/api/v1/users/me/keys/{fresh_n2_key}',       undef,        401, 404, 204, 404, 401, 401 ],
	[ 'GET',    '/api/v1/users/',                             undef,        401, 403, 403, 200, 401, 401 ],
	[ 'POST',   '/api/v1/users/',                             { username => '{fresh_name}', password => 'long-enough' },
	                                                                        401, 403, 403, 201, 401, 401 ],
	[ 'GET',    '/api/v1/users/{n2_id}',                      undef,        401, 403, 403, 200, 401, 401 ],
	[ 'PATCH',  '/api/v1/users/{n2_id}',                      { first_name => 'G' },
	                                                                        401, 403, 403, 200, 401, 401 ],
	[ 'DELETE', '/api/v1/users/{fresh_user}',                 undef,        401, 403, 403, 204, 401, 401 ],
	[ 'GET',    '/api/v1/users/{n2_id}/keys',                 undef,        401, 403, 403, 200, 401, 401 ],
	[ 'POST',   '/api/v1/users/{n2_id}/keys',                 { name => 'by-admin' },
	                                                                        401, 403, 403, 201, 401, 401 ],
	[ 'DELETE', '/api/v1/users/{n2_id}/keys/{fresh_n2_key}',  undef,        401, 403, 403, 204, 401, 401 ],
	[ 'GET',    '/api/v1/credentials/',                       undef,        401, 200, 200, 200, 401, 401 ],
	[ 'POST',   '/api/v1/credentials/',                       $CRED,        401, 201, 201, 201, 401, 401 ],
	[ 'GET',    '/api/v1/credentials/{n2_cred}/',             undef,        401, 404, 200, 200, 401, 401 ],
	[ 'PATCH',  '/api/v1/credentials/{n2_cred}/',             { name => 'renamed' },
	                                                                        401, 404, 200, 200, 401, 401 ],
	[ 'DELETE', '/api/v1/credentials/{fresh_n2_cred}/',       undef,        401, 404, 204, 204, 401, 401 ],
	[ 'POST',   '/api/v1/credentials/batch-delete/',          { ids => ['{fresh_n2_cred}'] },
	                                                                        401, 204, 204, 204, 401, 401 ],
	[ 'POST',   '/api/v1/credentials/{n2_llm}/test/',         undef,        401, 404, 200, 200, 401, 401 ],
	[ 'GET',    '/api/v1/credentials/{n2_llm}/models/',       undef,        401, 404, 200, 200, 401, 401 ],
	[ 'POST',   '/api/v1/credentials/{n2_llm}/activate/',     undef,        401, 404, 404, 404, 401, 401 ],
	[ 'POST',   '/api/v1/credentials/{n2_llm}/deactivate/',   undef,        401, 404, 404, 404, 401, 401 ],
);

# The detail a refusal must carry, by identity and status.
my %DETAIL = (
	'anon 401' => 'Not authenticated',
	'revoked 401' => 'API key has been revoked.',
	'expired 401' => 'API key has expired.',
	'n1 403' => 'Admin access required.',
	'n2 403' => 'Admin access required.',
);

sub make_fixtures {
	my ($t) = @_;
	my %f;
	$f{admin} = make_user($t, 'root', 'root-pass-1', 'admin') or return;
	$f{n1} = make_user($t, 'n1', 'n1-pass-12', 'normal') or return;
	$f{n2} = make_user($t, 'n2', 'n2-pass-12', 'normal') or return;
	$f{n2_id} = ($t->json($t->get('/api/v1/users/me', bearer($f{n2}))) // {})->{id};
	my $rev = make_key($t, $f{n1}, 'revoked') or return;
	$t->request('DELETE', "/api/v1/users/me/keys/$rev->{id}", { headers => bearer($f{n1}) });
	$f{revoked} = $rev->{key};
	my $exp = make_key($t, $f{n1}, 'expired', iso_utc(time + 2)) or return;
	$f{expired} = $exp->{key};
	$f{n2_cred} = make_credential($t, $f{n2}, $CRED) or return;
	$f{n2_llm} = make_credential($t, $f{n2}, { name => 'llm', credential_type => 'llm',
		detail => { provider_type => 'openai_compatible', api_key => 'sk-matrix-0000000000',
			base_url => 'http://127.0.0.1:' . free_port() . '/v1' } }) or return;
	sleep 2.5;    # until the expiring key has expired
	return \%f;
}

sub make_credential {
	my ($t, $token, $body) = @_;
	my $res = $t->request('POST', '/api/v1/credentials/', { content => $body, headers => bearer($token) });
	ok($res->{status} == 201, "fixture credential $body->{name}") or diag($res->{content});
	return ($t->json($res) // {})->{id};
}

# Replaces placeholders; the fresh ones make their object now.
sub expand {
	my ($t, $f, $text) = @_;
	$text =~ s/\{(\w+)\}/placeholder($t, $f, $1)/ge;
	return $text;
}

sub placeholder {
	my ($t, $f, $name) = @_;
	if ($name eq 'fresh_n2_key') {
		return (make_key($t, $f->{n2}, 'victim') // {})->{id} // 0;
	} elsif ($name eq 'fresh_n2_cred') {
		return make_credential($t, $f->{n2}, { %$CRED, name => 'victim' }) // 0;
	} elsif ($name eq 'fresh_name') {
		return 'u' . random_name();
	} elsif ($name eq 'fresh_user') {
		my $res = $t->request('POST', '/api/v1/users/',
			{ content => { username => 'v' . random_name(), password => 'victim-pass' }, headers => bearer($f->{admin}) });
		return ($t->json($res) // {})->{id} // 0;
	}
	return $f->{$name} // die "no fixture $name";
}

sub expand_body {
	my ($t, $f, $body) = @_;
	return undef unless defined $body;
	my $json = expand($t, $f, JSON::PP->new->canonical->encode($body));
	$json =~ s/"(\d+)"/$1/g if $json =~ /"ids"/;    # ids are integers
	return $json;
}

sub run_matrix {
	my ($t, $f) = @_;
	my @wrong;
	for my $row (@MATRIX) {
		my ($method, $path, $body, @expect) = @$row;
		for my $i (0 .. $#WHO) {
			my $who = $WHO[$i];
			my %h = $who eq 'anon' ? () : (Authorization => "Bearer $f->{$who}");
			my $p = expand($t, $f, $path);
			my $content = expand_body($t, $f, $body);
			$h{'Content-Type'} = 'application/json' if defined $content;
			my $res = $t->request($method, $p, { headers => \%h, (defined $content ? (content => $content) : ()) });
			my $j = $t->json($res);
			my $detail = ref $j eq 'HASH' ? $j->{detail} : undef;
			# The identity's own detail, where the route asks who is calling.
			my $want = $expect[0] == 401 && $expect[1] != 401 ? $DETAIL{"$who $expect[$i]"} : undef;
			my $good = $res->{status} == $expect[$i] && (!defined $want || ($detail // '') eq $want);
			push @wrong, sprintf('%-6s %-48s %-8s want %d%s, got %d %s', $method, $path, $who, $expect[$i],
				defined $want ? " ($want)" : '', $res->{status}, substr($res->{content} // '', 0, 100))
				unless $good;
		}
	}
	my $cells = @MATRIX * @WHO;
	ok(!@wrong, "$cells cells of the access matrix answer as expected") or diag(join "\n", @wrong);
	diag(scalar(@wrong) . " of $cells cells differ") if @wrong;
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	# The six failed logins of the token row come from one address: the
	# login throttle (52-security-login-throttle.t) is kept out of the way.
	my $t = PipelitTest->started(db_url => $db_url, env => { PIPELIT_LOGIN_MAX_FAILURES => 1000,
		PIPELIT_LOGIN_ACCOUNT_MAX_FAILURES => 1000, PIPELIT_LOGIN_ADDRESS_MAX_FAILURES => 1000 }) or return;
	my $f = make_fixtures($t) or return fail('the fixtures of the matrix');
	run_matrix($t, $f);
});

done_testing;
