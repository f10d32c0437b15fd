# Database failures answer by their class, once, in one place: a writer
# that cannot get SQLite's write lock within the busy timeout (another
# process holds it) gets a 503 with Retry-After and nothing is written;
# the log has one line for it carrying SQLite's message, its code and the
# request id the client saw in X-Request-Id; once the lock is free the
# same request succeeds.  A webhook's trigger, committed by the pool's
# trigger writer, fails the same way: the writer's error is the caller's.
# SQLite only; 71-trigger-writer.t holds a lock past PostgreSQL's
# lock_timeout for the writer's error there.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use IPC::Open2;
use PipelitTest;
use PipelitAuth;
use PipelitEngine;

need_nginx();
plan skip_all => 'the sqlite3 command-line shell is not installed'
	unless system('sqlite3 -version >/dev/null 2>&1') == 0;

my $dir = tempdir('pipelit-dberr-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{PIPELIT_TEST_KEEP});
my $db_path = "$dir/db.sqlite3";
my $t = PipelitTest->started(db_url => "sqlite:///$db_path",
	env => { PIPELIT_SQLITE_BUSY_TIMEOUT_MS => 300 }) or done_testing(), exit;
my $alice = make_user($t, 'alice', 'alice-password-1', 'normal') or done_testing(), exit;

sub workflow_count {
	my ($res, $j) = api_req($t, $alice, 'GET', 'workflows/');
	return ref $j eq 'HASH' ? $j->{total} : undef;
}

build_workflow($t, $alice, 'hooked',
	[ { node_id => 'hook', component_type => 'trigger_webhook',
	    config => { extra_config => { path => 'blocked-hook' } } },
	  { node_id => 'r', component_type => 'reply_chat', config => { extra_config => { message => 'x' } } } ],
	[ [ 'hook', 'r' ] ]) or done_testing(), exit;
my $before = workflow_count();

# Another process takes the write lock and keeps it until told.
my $pid = open2(my $out, my $in, 'sqlite3', $db_path);
print $in ".timeout 5000\nBEGIN IMMEDIATE;\nSELECT 'held';\n";
$in->flush;
my $line = <$out> // '';
is($line, "held\n", 'another process holds the write lock');

my ($res, $j) = api_req($t, $alice, 'POST', 'workflows/', { name => 'Blocked' });
is($res->{status}, 503, 'a writer that cannot get the lock gets 503');
like($res->{headers}{'retry-after'} // '', qr/^\d+$/, 'with Retry-After');
like(ref $j eq 'HASH' ? $j->{detail} : '', qr/busy/i, 'the detail says the database is busy');
my $id = $res->{headers}{'x-request-id'} // '';
like($id, qr/^[0-9a-f]{32}$/, "the answer carries nginx's request id ($id)");

my @lines = grep { /\Q[request $id]\E/ } split /\n/, $t->log_text;
my @errors = grep { /database error/ } @lines;
is(scalar @errors, 1, 'one log line for the failure, with the request id') or diag($t->log_tail);
like($errors[0] // '', qr/database is locked/, "it carries SQLite's message");
like($errors[0] // '', qr/transient, code 5\b/, 'its class and code (SQLITE_BUSY)');
like($errors[0] // '', qr/answered 503/, 'and what the client was told');

my $hook = $t->request('POST', '/api/v1/webhooks/blocked-hook',
	{ content => '{}', headers => { 'Content-Type' => 'application/json' } });
is($hook->{status}, 503, "a webhook whose trigger the writer cannot commit gets 503 as well");
like($hook->{headers}{'retry-after'} // '', qr/^\d+$/, 'with Retry-After');
like(($t->json($hook) // {})->{detail} // '', qr/busy/i, "the detail says the database is busy");

print $in "ROLLBACK;\n.quit\n";
close $in;
waitpid($pid, 0);

is(workflow_count(), $before, 'the refused create wrote nothing');
is($t->db_query("SELECT count(*) FROM workflow_executions"), 0, 'nor the refused trigger');
($res, $j) = api_req($t, $alice, 'POST', 'workflows/', { name => 'Blocked' });
is($res->{status}, 201, 'with the lock free, the same create succeeds');
is(workflow_count(), $before + 1, 'once');
$hook = $t->request('POST', '/api/v1/webhooks/blocked-hook',
	{ content => '{}', headers => { 'Content-Type' => 'application/json' } });
is($hook->{status}, 202, 'and so does the webhook');

done_testing();
