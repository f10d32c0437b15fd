# Operator commands that must do what they say: commands run from another
# directory never create a database, the Alembic verbs stamp/show/branches
# and upgrade +N, db vacuum, a restore run as root keeps the file's owner and
# mode, and pg_dump/pg_restore reach a server through every parameter of
# DATABASE_URL (here a server reachable only through a ?host= socket dir).
use strict;
use warnings;
use File::Temp qw(tempdir);
use Test::More;
use PipelitTest;
use PipelitPgCluster;

plan skip_all => "pipelit binary not found at " . pipelit_bin() unless -x pipelit_bin();

my $bin = pipelit_bin();
my %base_env = map { $_ => $ENV{$_} } grep { !/^(PIPELIT_|DATABASE_URL$|CHECKPOINTS_DB_PATH$)/ } keys %ENV;

sub pipelit_in {
	my ($dir, $env, @args) = @_;
	return run_command(cmd => [$bin, @args], env => { %base_env, %$env }, dir => $dir, timeout => 120);
}

sub sqlite_value {
	my ($file, $sql) = @_;
	my ($rc, $out) = run_command(cmd => ['sqlite3', '-batch', $file, $sql], timeout => 30);
	chomp $out;
	return $rc == 0 ? $out : "error: $out";
}

subtest 'commands run from another directory create no database' => sub {
	my $elsewhere = tempdir('pipelit-elsewhere-XXXXXX', TMPDIR => 1, CLEANUP => 1);
	for my $cmd (['user', 'create', '--username', 'x', '--password', 'secret-pass-1'],
		['db', 'current'], ['db', 'stamp', 'head'], ['db', 'downgrade', 'base'],
		['db', 'integrity'], ['db', 'vacuum']) {
		my ($rc, $out) = pipelit_in($elsewhere, {}, @$cmd);
		isnt($rc, 0, "pipelit @$cmd[0,1] fails") or diag($out);
		like($out, qr{\Q$elsewhere\E/data/db\.sqlite3}, '... naming the file it looked for') or diag($out);
		like($out, qr/DATABASE_URL|db upgrade/, '... and how to point at the right one');
		ok(!-e "$elsewhere/data/db.sqlite3", '... and creates no database there');
	}
	my ($rc, $out) = pipelit_in($elsewhere, {}, 'db', 'upgrade');
	is($rc, 0, 'db upgrade creates it') or diag($out);
	ok(-e "$elsewhere/data/db.sqlite3", 'the database exists now');
	($rc, $out) = pipelit_in($elsewhere, {}, 'user', 'create', '--username', 'x', '--password', 'secret-pass-1');
	is($rc, 0, 'and user create works on it') or diag($out);
};

subtest 'stamp, show, branches, upgrade +N' => sub {
	my $dir = tempdir('pipelit-verbs-XXXXXX', TMPDIR => 1, CLEANUP => 1);
	my ($rc, $history) = pipelit_in($dir, {}, 'db', 'history');
	my @revs = reverse map { /-> (\w+)/ ? $1 : () } split /\n/, $history;
	cmp_ok(scalar @revs, '>=', 3, 'the history lists the migrations, oldest last');
	my ($out);
	($rc, $out) = pipelit_in($dir, {}, 'db', 'upgrade', '+2');
	is($rc, 0, 'upgrade +2 on a new database') or diag($out);
	($rc, $out) = pipelit_in($dir, {}, 'db', 'current');
	like($out, qr/^\Q$revs[1]\E/m, 'is at the second migration');
	($rc, $out) = pipelit_in($dir, {}, 'db', 'upgrade', '+1');
	($rc, $out) = pipelit_in($dir, {}, 'db', 'current');
	like($out, qr/^\Q$revs[2]\E/m, 'upgrade +1 goes one further');
	($rc, $out) = pipelit_in($dir, {}, 'db', 'upgrade', '+' . scalar @revs);
	isnt($rc, 0, 'going further than there are migrations fails');
	like($out, qr/cannot go forward/, 'and says so') or diag($out);

	($rc, $out) = pipelit_in($dir, {}, 'db', 'show', $revs[0]);
	is($rc, 0, 'show REV') or diag($out);
	like($out, qr/^Rev: \Q$revs[0]\E/m, 'names the revision');
	like($out, qr/^Parent: <base>/m, 'its parent');
	like($out, qr/^Path: migrations\/\Q$revs[0]\E_\w+\.sql/m, 'and its file');
	($rc, $out) = pipelit_in($dir, {}, 'db', 'show', 'nosuchrev');
	isnt($rc, 0, 'show of an unknown revision fails');

	($rc, $out) = pipelit_in($dir, {}, 'db', 'branches');
	is($rc, 0, 'branches runs');
	is($out, '', 'and lists no branch point in a linear history');

	($rc, $out) = pipelit_in($dir, {}, 'db', 'stamp', 'head');
	is($rc, 0, 'stamp head') or diag($out);
	($rc, $out) = pipelit_in($dir, {}, 'db', 'current');
	like($out, qr/^\Q$revs[-1]\E \(head\)/m, 'the database says head');
	is(sqlite_value("$dir/data/db.sqlite3", 'SELECT count(*) FROM alembic_version'), 1,
		'with one row in alembic_version');
	($rc, $out) = pipelit_in($dir, {}, 'db', 'stamp', $revs[1]);
	($rc, $out) = pipelit_in($dir, {}, 'db', 'current');
	like($out, qr/^\Q$revs[1]\E/m, 'stamp REV moves it back without running anything');
	ok(sqlite_value("$dir/data/db.sqlite3", "SELECT count(*) FROM sqlite_master WHERE name = 'workflows'") == 1,
		'the tables stay as they were');
};

subtest 'db vacuum converts a database made before incremental auto-vacuum' => sub {
	my $dir = tempdir('pipelit-vacuum-XXXXXX', TMPDIR => 1, CLEANUP => 1);
	mkdir "$dir/data";
	my $file = "$dir/data/db.sqlite3";
	sqlite_value($file, 'PRAGMA journal_mode=WAL; CREATE TABLE old_style (x); DROP TABLE old_style');
	my ($rc, $out) = pipelit_in($dir, {}, 'db', 'upgrade');
	is($rc, 0, 'an existing file is migrated') or diag($out);
	is(sqlite_value($file, 'PRAGMA auto_vacuum'), 0, 'it is not converted by opening it');
	($rc, $out) = pipelit_in($dir, {}, 'db', 'vacuum');
	is($rc, 0, 'db vacuum') or diag($out);
	like($out, qr/before: \d+ KiB/, 'prints the size before and after');
	is(sqlite_value($file, 'PRAGMA auto_vacuum'), 2, 'the file uses incremental auto-vacuum now');
	is(sqlite_value($file, 'PRAGMA integrity_check'), 'ok', 'and is sound');

	my $fresh = tempdir('pipelit-vacuum-XXXXXX', TMPDIR => 1, CLEANUP => 1);
	pipelit_in($fresh, {}, 'db', 'upgrade');
	is(sqlite_value("$fresh/data/db.sqlite3", 'PRAGMA auto_vacuum'), 2,
		'a new database uses incremental auto-vacuum from the start');
};

subtest 'db prune gives the space of what it deleted back to the file system' => sub {
	my $dir = tempdir('pipelit-reclaim-XXXXXX', TMPDIR => 1, CLEANUP => 1);
	pipelit_in($dir, {}, 'db', 'upgrade');
	my $file = "$dir/data/db.sqlite3";
	# About 4 MB of old logs under one old execution.
	my $seed = "INSERT INTO user_profiles (id, username) VALUES (1, 'u');"
		. "INSERT INTO workflows (id, name, slug, owner_id) VALUES (1, 'w', 'w', 1);"
		. "INSERT INTO workflow_executions (execution_id, workflow_id, user_profile_id, thread_id, "
		. "status, started_at, completed_at) VALUES ('old', 1, 1, 't', 'completed', "
		. "'2020-01-01 00:00:00', '2020-01-01 00:01:00');"
		. "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 2000) "
		. "INSERT INTO execution_logs (execution_id, node_id, status, output) "
		. "SELECT 'old', 'n' || i, 'success', hex(randomblob(1000)) FROM c;";
	is(sqlite_value($file, $seed . 'SELECT count(*) FROM execution_logs'), 2000, 'an old execution with 2000 large logs');
	my $before = sqlite_value($file, 'PRAGMA page_count');
	my ($rc, $out) = pipelit_in($dir, {}, 'db', 'prune', '--executions-older-than', '30d');
	is($rc, 0, 'db prune') or diag($out);
	like($out, qr/^deleted 1 execution and 2000 log rows$/m, 'deletes them');
	like($out, qr/^gave \d+ KiB back to the file system$/m, 'and says it gave space back') or diag($out);
	my $after = sqlite_value($file, 'PRAGMA page_count');
	cmp_ok($after, '<', $before / 2, "the file shrank ($before pages before, $after after)");
	is(sqlite_value($file, 'PRAGMA freelist_count'), 0, 'no free page is left inside it');
	is(sqlite_value($file, 'PRAGMA integrity_check'), 'ok', 'and it is sound');
};

subtest 'restore run as root keeps the owner and mode of the database it replaces' => sub {
	plan skip_all => 'needs root to own files as another user' unless $> == 0;
	my ($uid, $gid) = (getpwnam('nobody'))[2, 3];
	plan skip_all => 'no user nobody' unless defined $uid;
	my $dir = tempdir('pipelit-restore-XXXXXX', TMPDIR => 1, CLEANUP => 1);
	pipelit_in($dir, {}, 'db', 'upgrade');
	my $file = "$dir/data/db.sqlite3";
	my ($rc, $out) = pipelit_in($dir, {}, 'db', 'backup', '--dir', "$dir/bk");
	is($rc, 0, 'a backup') or diag($out);
	my ($backup) = glob "$dir/bk/pipelit-*.sqlite3";
	chown $uid, $gid, $file;
	chmod 0640, $file;
	($rc, $out) = pipelit_in($dir, {}, 'db', 'restore', $backup);
	is($rc, 0, 'restore as root') or diag($out);
	my @st = stat $file;
	is($st[4], $uid, 'the restored file keeps its owner');
	is($st[5], $gid, 'and its group');
	is(sprintf('%o', $st[2] & 07777), '640', 'and its mode');
};

subtest 'long operations show progress on a terminal and one summary line elsewhere' => sub {
	my $dir = tempdir('pipelit-progress-XXXXXX', TMPDIR => 1, CLEANUP => 1);
	pipelit_in($dir, {}, 'db', 'upgrade');
	my ($rc, $out) = pipelit_in($dir, {}, 'db', 'backup', '--dir', "$dir/bk1");
	is($rc, 0, 'a backup, output to a file') or diag($out);
	my @summary = $out =~ /^(backup [^\n]*|backup: [^\n]*)$/mg;
	is(scalar @summary, 1, 'prints one summary line') or diag($out);
	like($summary[0] // '', qr/^backup: \d+ pages in [\d.]+ s, \d+ pages\/s$/, 'with count, time and rate');
	unlike($out, qr/\r/, 'and no redrawn line');
	SKIP: {
		my $script = (grep { -x "$_/script" } split /:/, "$ENV{PATH}:/usr/bin")[0];
		skip 'script(1) is not installed', 2 unless $script;
		my $cmd = join ' ', map { "'$_'" } $bin, 'db', 'backup', '--dir', "$dir/bk2";
		($rc, $out) = run_command(cmd => ["$script/script", '-qec', $cmd, '/dev/null'],
			env => { %base_env }, dir => $dir, timeout => 60);
		is($rc, 0, 'a backup on a terminal') or diag($out);
		like($out, qr/\r\e\[Kbackup pipelit-[\d-]+\.sqlite3: \d+\/\d+ pages \(\d+%\)/,
			'redraws one line with the file, pages done of the total and the percentage')
			or diag(explain $out);
	}
};

subtest 'rotate-key shows its progress on a terminal and only its own summary elsewhere' => sub {
	my $dir = tempdir('pipelit-rotate-XXXXXX', TMPDIR => 1, CLEANUP => 1);
	my ($rc, $old) = run_command(cmd => [$bin, 'keygen'], timeout => 30);
	my (undef, $new) = run_command(cmd => [$bin, 'keygen'], timeout => 30);
	chomp($old, $new);
	open my $fh, '>', "$dir/new.key" or die "$dir/new.key: $!";
	print $fh "$new\n";
	close $fh;
	my %env = (FIELD_ENCRYPTION_KEY => $old);
	pipelit_in($dir, \%env, 'db', 'upgrade');
	my $out;
	($rc, $out) = pipelit_in($dir, \%env, 'db', 'rotate-key', '--new-key-file', "$dir/new.key");
	is($rc, 0, 'rotate-key, output to a file') or diag($out);
	like($out, qr/^Re-encrypted 0 stored secrets with the new key\./m, 'prints its own summary');
	unlike($out, qr/\r/, 'and no redrawn line');
	SKIP: {
		my $script = (grep { -x "$_/script" } split /:/, "$ENV{PATH}:/usr/bin")[0];
		skip 'script(1) is not installed', 2 unless $script;
		my $cmd = join ' ', map { "'$_'" } $bin, 'db', 'rotate-key', '--new-key-file', "$dir/new.key";
		($rc, $out) = run_command(cmd => ["$script/script", '-qec', $cmd, '/dev/null'],
			env => { %base_env, %env }, dir => $dir, timeout => 60);
		is($rc, 0, 'rotate-key on a terminal') or diag($out);
		like($out, qr/\r\e\[Krotate-key llm_credentials\.api_key: \d+ values/,
			'redraws one line naming the column being re-encrypted')
			or diag(explain $out);
	}
};

subtest 'pg_dump and pg_restore use every parameter of DATABASE_URL' => sub {
	my $pg = PipelitPgCluster->start(tcp => 0)
		or plan skip_all => "no PostgreSQL cluster of our own: $PipelitPgCluster::WHY";
	my $dir = tempdir('pipelit-pgsock-XXXXXX', TMPDIR => 1, CLEANUP => 1);
	my %env = (DATABASE_URL => $pg->socket_url);
	my ($rc, $out) = pipelit_in($dir, \%env, 'db', 'upgrade');
	is($rc, 0, 'the server is reached through ?host=<socket dir>&port=') or diag($out);
	($rc, $out) = pipelit_in($dir, \%env, 'db', 'backup', '--dir', "$dir/bk");
	is($rc, 0, 'db backup reaches the same server') or diag($out);
	like($out, qr/^backup: \d+ tables in [\d.]+ s, \d+ tables\/s$/m,
		'prints one summary line of the tables dumped, not pg_dump\'s chatter') or diag($out);
	unlike($out, qr/^pg_dump: /m, 'pg_dump --verbose lines are not shown');
	my ($dump) = glob "$dir/bk/pipelit-*.pgdump";
	ok($dump && -s $dump, 'and writes the dump');
	($rc, $out) = pipelit_in($dir, \%env, 'db', 'restore', $dump // '/nonexistent');
	is($rc, 0, 'db restore reaches it too') or diag($out);
	like($out, qr/^restore: \d+ tables in [\d.]+ s/m, 'restore prints one summary line')
		or diag($out);
	SKIP: {
		my $script = (grep { -x "$_/script" } split /:/, "$ENV{PATH}:/usr/bin")[0];
		skip 'script(1) is not installed', 2 unless $script;
		my $cmd = join ' ', map { "'$_'" } $bin, 'db', 'backup', '--dir', "$dir/bk2";
		($rc, $out) = run_command(cmd => ["$script/script", '-qec', $cmd, '/dev/null'],
			env => { %base_env, %env }, dir => $dir, timeout => 60);
		is($rc, 0, 'a PostgreSQL backup on a terminal') or diag($out);
		like($out, qr/\r\e\[Kbackup public\.\w+: \d+\/\d+ tables \(\d+%\)/,
			'redraws one line with the table, tables done of the total and the percentage')
			or diag(explain $out);
	}
	($rc, $out) = pipelit_in($dir, \%env, 'db', 'current');
	like($out, qr/\(head\)/, 'and the restored database is at head') or diag($out);
	$pg->cleanup;
};

done_testing();
