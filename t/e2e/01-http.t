# The first start, and the HTTP surface nginx and pipelit show together:
# /health, the SPA fallback, JSON errors, the log line format.
use strict;
use warnings;
use Test::More;
use PipelitTest;

need_nginx();

sub table_exists {
	my ($t, $backend, $table) = @_;
	my $sql = $backend eq 'sqlite'
		? "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '$table'"
		: "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = '$table'";
	return ($t->db_query($sql) // '') eq '1';
}

sub sqlite_path { my ($url) = @_; $url =~ m{^sqlite:///(.*)$} ? $1 : undef }

sub first_word { my ($s) = @_; ($s // '') =~ /([0-9A-Za-z_]{4,})/ ? $1 : '' }

sub test_first_start {
	my ($backend, $db_url) = @_;
	my $t = PipelitTest->new(db_url => $db_url, env => { PIPELIT_MAX_BODY_BYTES => 65536 });
	if ($backend eq 'sqlite') {
		my $file = sqlite_path($db_url);
		(my $dir = $file) =~ s{/[^/]*$}{};
		ok(!-e $dir, 'the SQLite directory does not exist before the first start');
	} else {
		ok(!table_exists($t, $backend, 'user_profiles'), 'the PostgreSQL database is empty before the first start');
	}
	ok($t->start, 'the first start comes up') or return diag($t->log_tail);
	if ($backend eq 'sqlite') {
		ok(-f sqlite_path($db_url), 'the first start created the SQLite file and its directory');
	}
	ok(table_exists($t, $backend, $_), "table $_ exists after the first start") for qw(user_profiles workflows);

	my ($rc, $heads) = $t->pipelit('db', 'heads');
	is($rc, 0, 'pipelit db heads succeeds') or diag($heads);
	my $head = first_word($heads);
	my $current;
	($rc, $current) = $t->pipelit('db', 'current');
	is($rc, 0, 'pipelit db current succeeds') or diag($current);
	ok($head ne '' && index($current, $head) >= 0, "db current prints the head ($head)") or diag($current);
	return $t;
}

sub test_health {
	my ($t) = @_;
	my $res = $t->get('/health');
	is($res->{status}, 200, 'GET /health is 200');
	like($res->{headers}{'content-type'} // '', qr{^application/json}, '/health is JSON');
	my $j = $t->json($res) // {};
	is($j->{status}, 'ok', '/health says status ok');
	ok(JSON::PP::is_bool($j->{database}) && $j->{database}, '/health says the database answers');
	ok(defined $j->{version} && $j->{version} ne '', '/health gives the version');
}

sub test_spa_fallback {
	my ($t) = @_;
	my $res = $t->get('/');
	is($res->{status}, 200, 'GET / serves the UI');
	like($res->{content}, qr/<html/i, 'GET / is HTML');
	$res = $t->get('/some/page');
	is($res->{status}, 200, 'GET /some/page falls back to index.html');
	like($res->{content}, qr/<html/i, 'the fallback is the UI page');
	$res = $t->get('/api/v1/nope');
	is($res->{status}, 404, 'GET /api/v1/nope is 404, not the UI');
	is_deeply($t->json($res), { detail => 'Not Found' }, 'the 404 body is {"detail":"Not Found"}');
	$res = $t->get('/api/nope/');
	is($res->{status}, 404, 'an unknown /api/ path outside v1 is a 404 too');
}

sub is_json_error {
	my ($t, $res, $status, $name) = @_;
	is($res->{status}, $status, "$name: status $status");
	my $j = $t->json($res);
	ok(ref $j eq 'HASH' && defined $j->{detail}, "$name: JSON body with detail")
		or diag($res->{content});
}

sub test_errors {
	my ($t) = @_;
	is_json_error($t, $t->post('/api/v1/_test/pid/', '{}'), 405, 'POST to a GET route');
	my $res = $t->get('/api/v1/_test/pid');
	is($res->{status}, 307, 'a known route without its trailing slash is a 307');
	like($res->{headers}{location} // '', qr{/api/v1/_test/pid/$}, 'the 307 points at the slash form');
	$res = $t->get('/api/v1/_test/pid/?x=1');
	is($res->{status}, 200, 'the slash form answers');
	is_json_error($t, $t->post('/api/v1/_test/write/', 'x' x 70000), 413, 'a body over PIPELIT_MAX_BODY_BYTES');
	is($t->get('/health')->{status}, 200, 'the stack still answers after the errors');
}

sub test_log_format {
	my ($t) = @_;
	my @lines = grep { /\S/ } split /\n/, $t->log_text;
	ok(scalar @lines, 'the master logged something');
	my $line = qr/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[[A-Za-z]+\]\[(?:DEBUG|INFO|WARNING|ERROR)\] [\w.+-]+\.c:\d+ - \S/;
	my @bad = grep { $_ !~ $line } @lines;
	ok(!@bad, 'every log line is "YYYY-MM-DD HH:MM:SS [Tag][LEVEL] file.c:NN - message"')
		or diag(join "\n", @bad[0 .. ($#bad < 4 ? $#bad : 4)]);
	ok((grep { /^\S+ \S+ \[Server\]\[INFO\] \S+\.c:\d+ - / } @lines), 'the master logs as [Server][INFO]');
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $t = test_first_start($backend, $db_url) or return;
	test_health($t);
	test_spa_fallback($t);
	test_errors($t);
	is($t->stop, 0, 'SIGTERM stops the master with status 0');
	test_log_format($t);
});

done_testing;
