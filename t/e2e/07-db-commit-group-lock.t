# The wait for the log sync that makes a SQLite commit durable has the
# same deadline as the wait for the write lock: while another process
# holds the group commit's lock (here: this test, with flock on the
# "-commit" file beside the database, as a leader stuck in its sync
# would) and no sync covers the commit, a writer answers 503 with
# Retry-After once the busy timeout passes, instead of waiting for ever;
# once the lock is free, writes are acknowledged again.  SQLite only: the
# group commit is SQLite's.
use strict;
use warnings;
use Fcntl qw(:flock);
use Test::More;
use File::Temp qw(tempdir);
use PipelitTest;
use PipelitAuth;

need_nginx();

my $dir = tempdir('pipelit-cglock-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{PIPELIT_TEST_KEEP});
my $db_path = "$dir/db.sqlite3";
my $t = PipelitTest->started(db_url => "sqlite:///$db_path",
	env => { PIPELIT_SQLITE_BUSY_TIMEOUT_MS => 300, PIPELIT_SQLITE_SYNCHRONOUS => 'FULL' })
	or done_testing(), exit;
my $alice = make_user($t, 'alice', 'alice-password-1', 'normal') or done_testing(), exit;

ok(-e "$db_path-commit", 'the group commit file is beside the database');
open(my $lock, '+<', "$db_path-commit") or die "cannot open $db_path-commit: $!";
ok(flock($lock, LOCK_EX | LOCK_NB), "another process holds the group commit's lock");

my ($res, $j) = api_req($t, $alice, 'POST', 'workflows/', { name => 'Unsynced' });
is($res->{status}, 503, 'a commit whose sync cannot be had gets 503');
like($res->{headers}{'retry-after'} // '', qr/^\d+$/, 'with Retry-After');
like(ref $j eq 'HASH' ? $j->{detail} : '', qr/busy/i, 'the detail says the database is busy');
my $id = $res->{headers}{'x-request-id'} // '';
my @errors = grep { /\Q[request $id]\E/ && /database error/ } split /\n/, $t->log_text;
is(scalar @errors, 1, 'one log line for the failure, with the request id') or diag($t->log_tail);
like($errors[0] // '', qr/log sync of another process/, 'it says what was waited for');

flock($lock, LOCK_UN);
close $lock;

($res, $j) = api_req($t, $alice, 'POST', 'workflows/', { name => 'Synced' });
is($res->{status}, 201, 'with the lock free, a create is acknowledged');

done_testing();
