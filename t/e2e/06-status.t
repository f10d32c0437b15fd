# The pool's status page (php-fpm's): GET /status for admins or from
# loopback, as JSON or plain text, and `pipelit status` on the command line:
# per child its role, state, requests and current request; accepted
# connections, slow requests, restarts, the last crash; version, schema
# revision, backend (never a password) and uptime.
use strict;
use warnings;
use Test::More;
use PipelitTest;
use PipelitAuth;
use FastCGIClient;
use JSON::PP;
use Time::HiRes qw(sleep);

need_nginx();

sub status_from {
	my ($t, $addr, $headers) = @_;
	my %p = (REQUEST_METHOD => 'GET', REQUEST_URI => '/status', REMOTE_ADDR => $addr);
	$p{HTTP_AUTHORIZATION} = $headers->{Authorization} if $headers && $headers->{Authorization};
	return FastCGIClient::request($t->socket_path, \%p);
}

sub test_page {
	my ($t, $backend) = @_;
	$t->get('/health') for 1 .. 5;
	my $res = $t->get('/status');
	is($res->{status}, 200, 'GET /status from loopback answers 200');
	like($res->{headers}{'content-type'} // '', qr{application/json}, 'as JSON');
	my $s = $t->json($res) // {};
	like($s->{version} // '', qr/^\d+\.\d+/, 'it names the version');
	my (undef, $heads) = $t->pipelit('db', 'heads');
	my ($head) = $heads =~ /([0-9a-f]{12})/;
	is($s->{schema_revision}, $head, 'and the schema revision (the migration head)');
	like($s->{backend} // '', $backend eq 'sqlite' ? qr{^sqlite /} : qr{^postgresql }, 'and the backend');
	my ($password) = $t->db_url =~ m{://[^:/]*:([^@]*)@};
	unlike($s->{backend} // '', qr/\Q$password\E/, 'without the password') if defined $password && $password ne '';
	is($s->{master_pid}, $t->master_pid, 'and the master pid');
	ok(defined $s->{uptime_seconds} && $s->{started_at}, 'and the uptime');
	cmp_ok($s->{accepted_connections} // 0, '>=', 5, 'accepted connections are counted');
	is($s->{restarts}, 0, 'no restarts yet');
	ok(!defined $s->{last_crash}, 'no crash yet');
	is($s->{request_timeout_seconds}, 60, 'the request deadline (default 60 s)');
	my @kids = @{ $s->{children} // [] };
	is(scalar(grep { $_->{role} eq 'responder' } @kids), 2, 'two responders listed');
	is(scalar(grep { $_->{role} eq 'executor' } @kids), 1, 'one executor listed');
	is(scalar(grep { $_->{role} eq 'triggers' } @kids), 1, 'and the trigger writer');
	# The responder that answered the last /health may not have marked
	# itself idle yet when the other one reads the scoreboard, so look for
	# the child serving this very request rather than any busy one.
	my ($me) = grep { (($_->{current_request} // {})->{request} // '') eq 'GET /status' } @kids;
	is(($me->{current_request} // {})->{request}, 'GET /status', 'the busy child shows its current request');
	ok(defined(($me->{current_request} // {})->{age_ms}), '... and its age');
	is(($me // {})->{state}, 'busy', '... and is busy');
	my $served = 0;
	$served += $_->{requests} for @kids;
	cmp_ok($served, '>=', 5, 'requests served are counted per child');

	$res = $t->get('/status?format=text');
	is($res->{status}, 200, '?format=text answers 200');
	like($res->{headers}{'content-type'} // '', qr{text/plain}, 'as plain text');
	like($res->{content}, qr/^PID\s+ROLE\s+STATE/m, 'with a table of children');
	like($res->{content}, qr/responder\s+busy.*GET \/status/, 'showing the busy responder and its request');
	like($t->get('/status', { Accept => 'text/plain' })->{content}, qr/accepted connections:/,
		'Accept: text/plain gets the text too');
	$res = $t->get('/status?format=xml');
	is($res->{status}, 422, 'an unknown format is a 422');
	like($res->{content}, qr/"detail"/, 'with a detail');

	$res = $t->post('/api/v1/_test/crash/', '');
	ok(wait_until(30, sub { ($t->json($t->get('/status')) // {})->{restarts} }), 'a crash counts as a restart');
	$s = $t->json($t->get('/status')) // {};
	like(($s->{last_crash} // {})->{what} // '', qr/responder pid \d+ killed by signal 6/, 'and is the last crash');
	ok(($s->{last_crash} // {})->{at}, 'with its time');
}

sub test_access {
	my ($t) = @_;
	my $admin = make_user($t, 'statusadmin', 'status-pass-1', 'admin');
	my $user = make_user($t, 'statususer', 'status-pass-2', 'normal');
	is(status_from($t, '10.1.2.3')->{status}, 401, 'from another host without a key: 401');
	is(status_from($t, '10.1.2.3', bearer($user))->{status}, 403, 'from another host as a normal user: 403');
	my $res = status_from($t, '10.1.2.3', bearer($admin));
	is($res->{status}, 200, 'from another host as an admin: 200');
	ok(eval { decode_json($res->{body})->{children} }, 'with the children');
}

sub test_cli {
	my ($t) = @_;
	my ($rc, $out) = $t->pipelit('status', '--pid-file', $t->pid_file);
	is($rc, 0, 'pipelit status exits 0 while the pool runs') or diag($out);
	like($out, qr/master pid:\s+${\ $t->master_pid}/, 'it names the master');
	like($out, qr/^\d+\s+responder\s+/m, 'and lists the responders');
	like($out, qr/^\d+\s+executor\s+/m, 'and the executor');
	like($out, qr/^\d+\s+triggers\s+/m, 'and the trigger writer');
	($rc, $out) = $t->pipelit('status', '--json', '--pid-file', $t->pid_file);
	my $j = eval { decode_json($out) } // {};
	is($rc, 0, 'pipelit status --json exits 0');
	is(scalar @{ $j->{children} // [] }, 4,
		'and prints the JSON document with four children (the trigger writer one of them)');
	is($t->stop, 0, 'the pool stops');
	($rc, $out) = $t->pipelit('status', '--pid-file', $t->pid_file);
	is($rc, 1, 'pipelit status exits 1 when no pool runs');
	like($out, qr/pipelit: /, 'and says why');
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $t = PipelitTest->started(db_url => $db_url) or return;
	test_page($t, $backend);
	test_access($t);
	test_cli($t);
});

done_testing;
