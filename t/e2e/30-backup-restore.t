# `pipelit db backup`, `restore` and `integrity`.
#
# A backup taken while 16 clients write continuously passes the integrity
# check, opens at the head revision and holds every row acknowledged before
# it began.  Restore refuses while the pool runs, refuses a damaged file and
# a file from a newer revision (changing nothing), and a good restore brings
# the backup's rows back and keeps the previous database aside.  Integrity
# says ok on a good database and names the table of a broken foreign key.
use strict;
use warnings;
use POSIX qw(_exit);
use Test::More;
use Time::HiRes qw(sleep);
use PipelitTest;

need_nginx();

use constant WRITERS => 16;

# Forks the writers: each POSTs until $stop exists and appends every id
# it was given to its own file.  Returns their pids.
sub start_writers {
	my ($t, $stop) = @_;
	my $url = $t->url('/api/v1/_test/write/');
	my @pids;
	for my $i (1 .. WRITERS) {
		my $pid = fork // die "fork: $!";
		if ($pid == 0) {
			my $http = HTTP::Tiny->new(timeout => 30);
			open my $fh, '>>', $t->dir . "/acked.$i" or _exit(1);
			$fh->autoflush(1);
			# A test that dies early must not leave writers behind.
			my $deadline = time + 120;
			until (-e $stop || time > $deadline) {
				my $res = $http->post($url, { content => '{}',
					headers => { 'Content-Type' => 'application/json' } });
				print $fh "$1\n" if $res->{status} == 201 && $res->{content} =~ /"id":\s*(\d+)/;
			}
			close $fh;
			_exit(0);
		}
		push @pids, $pid;
	}
	return @pids;
}

# Every id acknowledged so far (a complete line is a committed row).
sub acked_ids {
	my ($t) = @_;
	my @ids;
	for my $f (glob $t->dir . '/acked.*') {
		open my $fh, '<', $f or next;
		while (my $line = <$fh>) {
			push @ids, $1 if $line =~ /^(\d+)\n\z/;
		}
	}
	return @ids;
}

sub head_revision {
	my ($rc, $out) = run_command(cmd => [pipelit_bin(), 'db', 'heads'], timeout => 30);
	return $out =~ /^(\w+) \(head\)/m ? $1 : '';
}

# Runs pipelit with the stack's settings but another DATABASE_URL.
sub pipelit_on {
	my ($t, $url, @args) = @_;
	return run_command(cmd => [pipelit_bin(), @args], env => { %{ $t->env }, DATABASE_URL => $url },
		dir => $t->dir, timeout => 120);
}

# Runs SQL on an SQLite file or a PostgreSQL URL.
sub query_on {
	my ($target, $sql) = @_;
	my ($rc, $out) = $target =~ m{^postgres}
		? PipelitTest::psql($target, $sql)
		: run_command(cmd => ['sqlite3', '-batch', '-bail', $target, $sql], timeout => 60);
	diag("query on $target: $out") if $rc != 0;
	chomp $out;
	return $rc == 0 ? $out : undef;
}

sub missing_ids {
	my ($target, @ids) = @_;
	my %have = map { $_ => 1 } split /\n/, query_on($target, 'SELECT id FROM user_profiles') // '';
	return grep { !$have{$_} } @ids;
}

# A scratch PostgreSQL database loaded from a dump (pg_restore of the
# server's version, as test.sh installs); returns its URL.
sub pg_scratch_from {
	my ($base, $dump) = @_;
	my $name = 't_' . random_name();
	PipelitTest::psql($base, "CREATE DATABASE $name");
	my $url = PipelitTest::pg_url_with_database($base, $name);
	my ($rc, $out) = run_command(cmd => ['pg_restore', '--no-owner', '-d', $url, $dump], timeout => 120);
	diag("pg_restore: $out") if $rc != 0;
	return ($url, $name);
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $pg = $backend eq 'postgresql';
	my $base = $ENV{PIPELIT_TEST_PG_URL};
	my @scratch;
	my $t = PipelitTest->started(db_url => $db_url, responders => 4) or return;
	my $live = $pg ? $db_url : ($db_url =~ m{^sqlite:///(.*)$})[0];
	my $head = head_revision();
	# The checkpoint store is an SQLite file whatever the backend: beside
	# the SQLite database, or in the data directory.
	(my $checkpoints = $pg ? $t->dir . '/data/x' : $live) =~ s{[^/]+$}{checkpoints.db};
	mkdir $t->dir . '/data';
	query_on($checkpoints, "CREATE TABLE checkpoints (thread_id TEXT); INSERT INTO checkpoints VALUES ('t1')");
	my $bkdir = $t->dir . '/bk';

	# --- a backup under 16 writers ---------------------------------------------
	my $stop = $t->dir . '/stop-writers';
	my @writers = start_writers($t, $stop);
	wait_until(30, sub { acked_ids($t) >= 200 });
	my @before = acked_ids($t);
	my ($rc, $out) = $t->pipelit('db', 'backup', '--dir', $bkdir);
	sleep 0.5;
	my $during = acked_ids($t) - @before;
	open my $fh, '>', $stop;
	close $fh;
	waitpid($_, 0) for @writers;
	is($rc, 0, 'db backup succeeds while ' . WRITERS . ' clients write') or diag($out);
	my $ext = $pg ? 'pgdump' : 'sqlite3';
	like($out, qr{^wrote \Q$bkdir\E/pipelit-\d{8}-\d{6}\.$ext \([\d.]+ (bytes|KiB|MiB)\)$}m,
		'it prints the file it wrote and its size');
	{
		my ($cp) = $out =~ m{^wrote (\Q$bkdir\E/checkpoints-\d{8}-\d{6}\.db) \(}m;
		ok($cp, "the checkpoint store is backed up too ($backend)") or diag($out);
		is(query_on($cp // '/nonexistent', 'SELECT thread_id FROM checkpoints'), 't1', 'with its rows');
	}
	my ($file) = glob "$bkdir/pipelit-*.$ext";
	ok($file && -s $file, 'the backup file exists');
	is(scalar(() = glob("$bkdir/*.part")), 0, 'no partial file is left');
	cmp_ok(scalar @before, '>=', 200, scalar(@before) . ' rows acknowledged before the backup began');
	cmp_ok($during, '>', 0, "writers went on during the backup ($during more rows)");
	return unless $file;

	my $copy = $file;
	($copy, my $name) = pg_scratch_from($base, $file) if $pg;
	push @scratch, $name if $pg;
	my $copy_url = $pg ? $copy : "sqlite:///$copy";
	is(query_on($copy, 'SELECT version_num FROM alembic_version'), $head, "the copy is at the head revision ($head)");
	my @missing = missing_ids($copy, @before);
	is(scalar @missing, 0, 'every row acknowledged before the backup is in the copy')
		or diag("missing: @missing[0 .. ($#missing > 9 ? 9 : $#missing)]");
	($rc, $out) = pipelit_on($t, $copy_url, 'db', 'integrity');
	is($rc, 0, 'the copy passes db integrity') or diag($out);
	my $rows_in_backup = query_on($copy, 'SELECT count(*) FROM user_profiles');

	# --- restore ------------------------------------------------------------------
	($rc, $out) = $t->pipelit('db', 'restore', $file);
	is($rc, 1, 'restore refuses while the pool runs');
	like($out, qr/^pipelit: a pipelit pool is running on this database \(pid \d+\); stop it first$/m,
		'and says so, with a pid') or diag($out);
	is($t->stop, 0, 'the pool stops');
	my $rows_now = $t->db_query('SELECT count(*) FROM user_profiles');
	cmp_ok($rows_now, '>', $rows_in_backup, "the live database has more rows ($rows_now) than the backup ($rows_in_backup)");

	my $garbage = $t->dir . "/garbage.$ext";
	if ($pg) {
		open my $g, '>', $garbage;
		print $g 'PGDMP', "\0" x 20, 'not really a dump' x 100;
		close $g;
	} else {
		system('cp', $file, $garbage);
		open my $g, '+<', $garbage;
		binmode $g;
		seek $g, 4096 * 2, 0;
		print $g map { chr(int rand 256) } 1 .. 8192;
		close $g;
	}
	($rc, $out) = $t->pipelit('db', 'restore', $garbage);
	is($rc, 1, 'restore refuses a damaged file');
	like($out, qr/^pipelit: .*(integrity|malformed|not a database|not an archive)/m, 'and says why') or diag($out);

	my $newer = $t->dir . "/newer.$ext";
	if ($pg) {
		query_on($copy, "UPDATE alembic_version SET version_num = 'ffffffffffff'");
		my ($r, $o) = run_command(cmd => ['pg_dump', '--format=custom', "--file=$newer", $copy], timeout => 120);
		diag($o) if $r != 0;
		query_on($copy, "UPDATE alembic_version SET version_num = '$head'");
	} else {
		system('cp', $file, $newer);
		query_on($newer, "UPDATE alembic_version SET version_num = 'ffffffffffff'");
	}
	($rc, $out) = $t->pipelit('db', 'restore', $newer);
	is($rc, 1, 'restore refuses a file from a newer revision');
	like($out, qr/ffffffffffff/, 'and names the revision') or diag($out);
	is($t->db_query('SELECT count(*) FROM user_profiles'), $rows_now, 'the refused restores changed nothing');

	($rc, $out) = $t->pipelit('db', 'restore', $file);
	is($rc, 0, 'restore of the backup succeeds with the pool stopped') or diag($out);
	my ($aside) = $out =~ /^kept the previous database as (\S+)$/m;
	ok($aside, 'it says where the previous database went') or diag($out);
	if ($pg) {
		push @scratch, $aside if $aside;
		my $aside_url = PipelitTest::pg_url_with_database($base, $aside // 'none');
		is(query_on($aside_url, 'SELECT count(*) FROM user_profiles'), $rows_now, 'the previous database is kept whole');
	} else {
		like($aside // '', qr/\.before-restore-\d{8}-\d{6}$/, 'beside the file, timestamped');
		is(query_on($aside, 'SELECT count(*) FROM user_profiles'), $rows_now, 'the previous database is kept whole');
	}
	is($t->db_query('SELECT count(*) FROM user_profiles'), $rows_in_backup, 'the database holds the backup\'s rows');
	ok($t->start, 'the pool starts on the restored database');
	is($t->get('/health')->{status}, 200, 'and answers');
	@missing = missing_ids($live, @before);
	is(scalar @missing, 0, 'the rows acknowledged before the backup are back');

	# --- integrity ------------------------------------------------------------------
	($rc, $out) = $t->pipelit('db', 'integrity');
	is($rc, 0, 'db integrity: ok on a good database') or diag($out);
	my @expect = $pg ? ('indexes', 'constraints', 'foreign keys', 'tables') : ('integrity_check', 'foreign_key_check');
	like($out, qr/^\Q$_\E: ok/m, "  $_: ok") for @expect;
	$t->stop;
	my $orphan = q{INSERT INTO api_keys (user_id, key_hash) VALUES (987654321, '} . ('a' x 64) . q{')};
	query_on($live, $pg ? "SET session_replication_role = replica; $orphan" : "PRAGMA foreign_keys = OFF; $orphan");
	($rc, $out) = $t->pipelit('db', 'integrity');
	is($rc, 1, 'db integrity fails on a row violating a foreign key');
	like($out, qr/^foreign.key.*api_keys.*user_profiles/m, 'and names the table and its parent') or diag($out);

	PipelitTest::psql($base, "DROP DATABASE IF EXISTS $_ WITH (FORCE)") for @scratch;
});

done_testing;
