# Security findings 9 and 13: what the pool and the CLI write is private to
# their user.  Under any umask (this test runs with the usual 022), the data
# directory, the SQLite files, the log, the pid file and backups are 0600 in
# 0700 directories; the FastCGI socket is the exception (0660, and given to
# PIPELIT_SOCKET_GROUP so the web server's group can reach it).  An existing
# world-readable database is reported at start, not changed.  nginx's
# live-events socket (0666, nginx's choice) sits in a 0700 directory, so no
# other local user can publish forged events.  Both backends.
use strict;
use warnings;
use Test::More;
use PipelitTest;
use PipelitAuth;

need_nginx();

umask 022;

sub mode_of {
	my ($path) = @_;
	my @st = lstat $path or return 'missing';
	return sprintf '%04o', $st[2] & 07777;
}

# As user nobody (group nogroup unless $group): can it connect to $socket?
sub nobody_connects {
	my ($socket, $group) = @_;
	my ($rc) = run_command(cmd => ['setpriv', '--reuid=nobody', '--regid=' . ($group // 'nogroup'),
		'--clear-groups', $^X, '-MIO::Socket::UNIX', '-e',
		'exit(IO::Socket::UNIX->new(Peer => $ARGV[0]) ? 0 : 3)', $socket], timeout => 30);
	return $rc == 0;
}

sub db_path {
	my ($t) = @_;
	my ($path) = $t->db_url =~ m{^sqlite:///(.*)$};
	return $path;
}

sub test_private_files {
	my ($t, $backend) = @_;
	my $dir = $t->dir;
	if ($backend eq 'sqlite') {
		my $db = db_path($t);
		(my $db_dir = $db) =~ s{/[^/]+$}{};
		is(mode_of($db_dir), '0700', "the database's directory pipelit made is 0700");
		is(mode_of($db), '0600', 'the database is 0600');
		for my $journal ("$db-wal", "$db-shm") {
			is(mode_of($journal), '0600', "$journal is 0600") if -e $journal;
		}
	}
	is(mode_of("$dir/app.log"), '0600', 'the log file is 0600');
	is(mode_of($t->pid_file), '0600', 'the pid file is 0600');
	is(mode_of($t->socket_path), '0660', 'the FastCGI socket is 0660 (the exception: the web server connects)');

	my ($rc, $out) = $t->pipelit('db', 'backup');
	is($rc, 0, 'pipelit db backup') or diag($out);
	is(mode_of("$dir/data"), '0700', 'the data directory is 0700');
	is(mode_of("$dir/data/backups"), '0700', 'the backup directory is 0700');
	my @files = glob "$dir/data/backups/*";
	ok(@files, 'a backup was written');
	is(mode_of($_), '0600', "the backup $_ is 0600") for @files;
}

sub test_socket_group {
	my ($t) = @_;
	$t->{extra_env}{PIPELIT_SOCKET_GROUP} = 'nogroup';
	ok($t->restart, 'the pool restarts with PIPELIT_SOCKET_GROUP=nogroup') or return diag($t->log_tail);
	my @st = stat $t->socket_path;
	is($st[5], scalar getgrnam('nogroup'), 'the socket belongs to group nogroup');
	is(mode_of($t->socket_path), '0660', 'mode 0660');
	ok(nobody_connects($t->socket_path), 'a web server in that group can connect');
	ok(!nobody_connects($t->socket_path, 'daemon'), 'a user in another group cannot');
	delete $t->{extra_env}{PIPELIT_SOCKET_GROUP};
}

sub test_warning {
	my ($t) = @_;
	my $db = db_path($t);
	$t->stop;
	chmod 0644, $db;
	ok($t->start, 'restart with a database made 0644 by hand');
	like(PipelitTest::slurp($t->dir . '/app.log'), qr/\Q$db\E is readable by every local user \(mode 0644\)/,
		'the start warns about the world-readable database');
	is(mode_of($db), '0644', 'and leaves its mode alone under the deployment');
}

sub test_events_socket {
	my ($t) = @_;
	plan skip_all => 'the nchan module is not installed' unless -f '/usr/lib/nginx/modules/ngx_nchan_module.so';
	my $sock = $t->dir . '/nginx/publish/events.sock';
	ok(-S $sock, 'nginx listens for events in nginx/publish/');
	is(mode_of($t->dir . '/nginx/publish'), '0700', 'a 0700 directory');
	# The stack's directories let others pass, as a deployment's do.
	chmod 0711, $t->dir, $t->dir . '/nginx';
	my ($old) = grep { -S } glob($t->dir . '/nginx/*.sock');
	ok(!nobody_connects($sock), 'another local user cannot reach the publisher socket');
	ok(!defined $old || !nobody_connects($old), 'nor any socket nginx keeps beside it');
	chmod 0700, $t->dir;
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $t = PipelitTest->started(db_url => $db_url, env => { LOG_FILE => 'app.log' }) or return;
	subtest 'private files' => sub { test_private_files($t, $backend) };
	subtest 'the socket group' => sub { test_socket_group($t) };
	subtest 'a warning, no change' => sub { test_warning($t) } if $backend eq 'sqlite';
	subtest 'the events socket' => sub { test_events_socket($t) };
});

done_testing();
