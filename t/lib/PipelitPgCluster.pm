package PipelitPgCluster;

# PipelitPgCluster: a throwaway PostgreSQL cluster owned by one test, for
# the tests that do to the server what no shared server may suffer (stop
# it with SIGSTOP, reach it only through a socket directory).  Run as the
# postgres user when we are root (PostgreSQL refuses root), as ourselves
# otherwise.  Everything is stopped and removed when the object goes away.
#
#   my $pg = PipelitPgCluster->start(tcp => 1) or plan skip_all => $PipelitPgCluster::WHY;
#   $pg->url;            # postgresql://pipelit:PW@127.0.0.1:PORT/pipelit
#   $pg->socket_url;     # postgresql://pipelit:PW@/pipelit?host=DIR&port=PORT
#   $pg->stop_server;    # SIGSTOP to the postmaster and every backend
#   $pg->continue_server;

use strict;
use warnings;

use File::Temp qw(tempdir);
use PipelitTest qw(free_port run_command);

our $PG_BIN = $ENV{PIPELIT_PG_BIN} // '/usr/lib/postgresql/15/bin';
our $WHY = '';

sub as_owner {
	my @cmd = @_;
	return $> == 0 ? ('runuser', '-u', 'postgres', '--', @cmd) : @cmd;
}

# start(tcp => 1|0, tmpfs => SIZE): with tcp => 0 the server listens on its
# socket directory only; with tmpfs (root only) the cluster's directory is a
# tmpfs of that size (e.g. '96m'), so a test can fill its disk.  Returns the
# cluster, or undef with the reason in $WHY.
sub start {
	my ($class, %o) = @_;
	$WHY = '';
	if ($o{tmpfs} && $> != 0) {
		$WHY = 'a cluster on its own tmpfs needs root';
		return undef;
	}
	unless (-x "$PG_BIN/initdb") {
		$WHY = "$PG_BIN/initdb not found (package postgresql-15)";
		return undef;
	}
	if ($> == 0 && !getpwnam('postgres')) {
		$WHY = 'running as root and there is no postgres user to run the server';
		return undef;
	}
	my $dir = tempdir('pipelit-pgown-XXXXXX', TMPDIR => 1, CLEANUP => 0);
	my $password = join '', map { ('a' .. 'z', 0 .. 9)[int rand 36] } 1 .. 16;
	my $self = bless { dir => $dir, port => free_port(), password => $password, owner => $$ }, $class;
	if ($o{tmpfs}) {
		my ($rc, $out) = run_command(cmd => ['mount', '-t', 'tmpfs', '-o', "size=$o{tmpfs}", 'tmpfs', $dir],
			timeout => 30);
		return $self->fail("mounting a tmpfs on $dir failed: $out") if $rc != 0;
		$self->{mounted} = 1;
	}
	chmod 0755, $dir;
	mkdir "$dir/sock";
	open my $fh, '>', "$dir/pwfile" or die;
	print $fh "$password\n";
	close $fh;
	if ($> == 0) {
		my (undef, undef, $uid, $gid) = getpwnam('postgres');
		chown $uid, $gid, $dir, "$dir/sock", "$dir/pwfile";
	}
	my ($rc, $out) = run_command(cmd => [as_owner("$PG_BIN/initdb", '-D', "$dir/data", '-U', 'postgres',
		"--pwfile=$dir/pwfile", '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8',
		'--locale=C.UTF-8')], timeout => 120);
	return $self->fail("initdb failed: $out") if $rc != 0;
	my $listen = $o{tcp} // 1 ? '127.0.0.1' : "''";
	($rc, $out) = run_command(cmd => [as_owner("$PG_BIN/pg_ctl", '-D', "$dir/data", '-l', "$dir/server.log",
		'-w', '-t', '60', '-o', "-p $self->{port} -k $dir/sock -c listen_addresses=$listen -c fsync=off",
		'start')], timeout => 90);
	return $self->fail("pg_ctl start failed: $out") if $rc != 0;
	$self->{started} = 1;
	($rc, $out) = run_command(cmd => [as_owner("$PG_BIN/psql", '-X', '-q', '-h', "$dir/sock", '-p', $self->{port},
		'-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1',
		'-c', "CREATE ROLE pipelit LOGIN SUPERUSER PASSWORD '$password'",
		'-c', 'CREATE DATABASE pipelit OWNER pipelit')], timeout => 60);
	return $self->fail("creating the role failed: $out") if $rc != 0;
	return $self;
}

sub fail {
	my ($self, $why) = @_;
	$WHY = $why;
	$self->cleanup;
	return undef;
}

sub dir { $_[0]{dir} }
sub port { $_[0]{port} }
sub socket_dir { "$_[0]{dir}/sock" }
sub url { "postgresql://pipelit:$_[0]{password}\@127.0.0.1:$_[0]{port}/pipelit" }
sub socket_url { "postgresql://pipelit:$_[0]{password}\@/pipelit?host=$_[0]{dir}/sock&port=$_[0]{port}" }

# The postmaster's pid (first line of postmaster.pid) and its children.
sub server_pids {
	my ($self) = @_;
	open my $fh, '<', "$self->{dir}/data/postmaster.pid" or return ();
	my $pm = <$fh>;
	close $fh;
	chomp $pm;
	return () unless $pm =~ /^\d+$/;
	my @kids;
	for my $stat (glob '/proc/[0-9]*/stat') {
		open my $s, '<', $stat or next;
		my $text = <$s> // '';
		close $s;
		my ($pid, $ppid) = $text =~ /^(\d+) \(.*\) \S (\d+)/s or next;
		push @kids, $pid if $ppid == $pm;
	}
	return ($pm, @kids);
}

# A hung server: every process of this cluster stopped.
sub stop_server {
	my ($self) = @_;
	my @pids = $self->server_pids or return 0;
	$self->{stopped} = 1;
	return kill 'STOP', @pids;
}

sub continue_server {
	my ($self) = @_;
	$self->{stopped} = 0;
	my @pids = $self->server_pids;
	return @pids ? kill 'CONT', @pids : 0;
}

sub cleanup {
	my ($self) = @_;
	return if $self->{cleaned} || $self->{owner} != $$;
	$self->{cleaned} = 1;
	$self->continue_server if $self->{stopped};
	if ($self->{started}) {
		run_command(cmd => [as_owner("$PG_BIN/pg_ctl", '-D', "$self->{dir}/data", '-m', 'immediate',
			'-w', 'stop')], timeout => 60);
	}
	system('umount', $self->{dir}) if $self->{mounted};
	system('rm', '-rf', $self->{dir}) unless $ENV{PIPELIT_TEST_KEEP};
}

sub DESTROY { $_[0]->cleanup }

1;
