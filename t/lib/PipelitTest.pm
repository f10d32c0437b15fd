package PipelitTest;

# PipelitTest: the end-to-end harness.  Each object is one running stack
# in a fresh temporary directory: a real nginx (from conf/nginx.conf.in, on
# a free port) in front of a real `pipelit serve` (on a unix socket, with
# PIPELIT_TEST_ROUTES=1).  Tests talk HTTP to it and look inside the
# database; everything the object started is killed when it goes away,
# when the test ends, and when it dies.
#
#   for_each_backend(sub {
#       my ($backend, $db_url) = @_;
#       my $t = PipelitTest->started(db_url => $db_url) or return;
#       is($t->get('/health')->{status}, 200, 'health answers');
#   });
#
# Environment: PIPELIT_BIN (the binary), PIPELIT_SRCDIR (the source tree),
# PIPELIT_WWW_DIR (the built UI nginx serves; default: www/ beside the binary),
# PIPELIT_TEST_PG_URL (a PostgreSQL server where a database per test is
# created; without it the PostgreSQL half is skipped), PIPELIT_TEST_KEEP=1
# (keep temporary directories for a post-mortem).

use strict;
use warnings;

use Carp qw(croak);
use Exporter qw(import);
use File::Basename qw(dirname);
use File::Path qw(make_path remove_tree);
use File::Spec;
use File::Temp qw(tempdir);
use HTTP::Tiny;
use IO::Socket::INET;
use JSON::PP;
use POSIX qw(WNOHANG);
use Scalar::Util qw(refaddr weaken);
use Test::More;
use Time::HiRes qw(sleep time);

our @EXPORT = qw(for_each_backend need_nginx pipelit_bin www_dir srcdir wait_until run_command
	run_in_children free_port random_name);

# Absolute, whatever was given: each test runs in a temporary directory.
my $SRCDIR = File::Spec->rel2abs($ENV{PIPELIT_SRCDIR} // dirname(__FILE__) . '/../..');
my $BIN = File::Spec->rel2abs($ENV{PIPELIT_BIN} // "$SRCDIR/build/pipelit");
# The browser UI as make built it ($(builddir)/www: the built UI, the one a
# release ships, or the placeholder), never the sources in www/.
my $WWW = File::Spec->rel2abs($ENV{PIPELIT_WWW_DIR} // dirname($BIN) . '/www');
my $NGINX = -x '/usr/sbin/nginx' ? '/usr/sbin/nginx' : 'nginx';
my $NCHAN = '/usr/lib/nginx/modules/ngx_nchan_module.so';
my $PID = $$;

# Every live stack, so that END (and signals) can stop them all.
my %LIVE;

sub srcdir { $SRCDIR }
sub pipelit_bin { $BIN }
sub www_dir { $WWW }

sub need_nginx {
	plan skip_all => 'nginx is not installed (apt-get install nginx-light)'
		unless -x $NGINX || grep { -x "$_/nginx" } split /:/, $ENV{PATH} // '';
	plan skip_all => "pipelit binary not found at $BIN (set PIPELIT_BIN)" unless -x $BIN;
}

sub random_name {
	my $s = '';
	$s .= ('a' .. 'z', 0 .. 9)[int rand 36] for 1 .. 10;
	return $s;
}

sub free_port {
	my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 1, ReuseAddr => 1)
		or croak "no free port: $!";
	my $port = $s->sockport;
	close $s;
	return $port;
}

# Polls $cond every 50 ms until it returns true or $seconds pass; returns
# the last value.
sub wait_until {
	my ($seconds, $cond) = @_;
	my $deadline = time + $seconds;
	while (1) {
		my $v = $cond->();
		return $v if $v || time > $deadline;
		sleep 0.05;
	}
}

# Runs a command with %$env (undef: inherit) in $dir, output to a file;
# returns (exit status, output).  Killed after $timeout seconds (status 124).
sub run_command {
	my (%o) = @_;
	my $out = File::Temp->new(TMPDIR => 1);
	my $pid = fork // croak "fork: $!";
	if ($pid == 0) {
		%ENV = %{ $o{env} } if $o{env};
		chdir $o{dir} if $o{dir};
		open STDIN, '<', '/dev/null';
		open STDOUT, '>', $out->filename;
		open STDERR, '>&', \*STDOUT;
		{ no warnings 'exec'; exec { $o{cmd}[0] } @{ $o{cmd} }; }
		POSIX::_exit(127);
	}
	my $status = wait_child($pid, $o{timeout} // 120);
	my $text = slurp($out->filename);
	return ($status // 124, $text);
}

# Waits for a child of ours; returns its exit status (128+signal when
# killed), or undef after $seconds, leaving it running.
sub wait_child {
	my ($pid, $seconds) = @_;
	my $status;
	wait_until($seconds, sub {
		my $r = waitpid($pid, WNOHANG);
		$status = $? if $r == $pid;
		return $r == $pid || $r < 0;
	});
	return undef unless defined $status;
	return $status & 127 ? 128 + ($status & 127) : $status >> 8;
}

sub slurp {
	my ($file) = @_;
	open my $fh, '<', $file or return '';
	local $/;
	my $text = <$fh>;
	return $text // '';
}

# Runs $code in $n forked children at once (each gets its index); returns
# the list of their exit statuses.  $code's return value is the status
# (0..255).  Children never run END blocks: they leave with _exit.
sub run_in_children {
	my ($n, $code, $timeout) = @_;
	my @pids;
	for my $i (0 .. $n - 1) {
		my $pid = fork // croak "fork: $!";
		if ($pid == 0) {
			my $rc = eval { $code->($i) };
			$rc = 255 unless defined $rc;
			POSIX::_exit($rc > 255 ? 255 : $rc);
		}
		push @pids, $pid;
	}
	return map { wait_child($_, $timeout // 300) // do { kill 'KILL', $_; waitpid($_, 0); 124 } } @pids;
}

# --- the backends -----------------------------------------------------------

sub psql {
	my ($url, $sql) = @_;
	return run_command(cmd => ['psql', '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-d', $url, '-c', $sql],
		timeout => 60);
}

sub pg_url_with_database {
	my ($url, $name) = @_;
	my ($head, $rest) = $url =~ m{^(postgres(?:ql)?://[^/?]*)(.*)$}
		or croak "PIPELIT_TEST_PG_URL is not a postgresql:// URL: $url";
	my ($query) = $rest =~ /(\?.*)$/;
	return "$head/$name" . ($query // '');
}

# Runs $code as a subtest once per backend: ('sqlite', a URL whose file and
# directory do not exist yet) and ('postgresql', a URL to a fresh, empty
# database, dropped afterwards).
sub for_each_backend {
	my ($code) = @_;
	subtest sqlite => sub {
		my $dir = tempdir('pipelit-db-XXXXXX', TMPDIR => 1, CLEANUP => 0);
		my $url = "sqlite:///$dir/data/db.sqlite3";
		eval { $code->('sqlite', $url); 1 } or fail("sqlite block died: $@");
		stop_all();
		remove_tree($dir) unless $ENV{PIPELIT_TEST_KEEP};
	};
	subtest postgresql => sub {
		my $base = $ENV{PIPELIT_TEST_PG_URL};
		plan skip_all => 'PIPELIT_TEST_PG_URL is not set (scripts/test.sh starts a throwaway server)'
			unless $base;
		my $name = 't_' . random_name();
		my ($rc, $out) = psql($base, "CREATE DATABASE $name");
		if ($rc != 0) {
			fail("CREATE DATABASE $name");
			diag($out);
			return;
		}
		eval { $code->('postgresql', pg_url_with_database($base, $name)); 1 }
			or fail("postgresql block died: $@");
		stop_all();
		($rc, $out) = psql($base, "DROP DATABASE IF EXISTS $name WITH (FORCE)");
		diag("DROP DATABASE $name: $out") if $rc != 0;
	};
}

# --- one stack ----------------------------------------------------------------

my $keygen_cache;

sub encryption_key {
	return $keygen_cache if defined $keygen_cache;
	my ($rc, $out) = run_command(cmd => [$BIN, 'keygen'], timeout => 30);
	chomp $out;
	$keygen_cache = $rc == 0 && $out =~ /^\S+$/ ? $out : '';
	return $keygen_cache;
}

# Settings a developer's shell might carry that must not leak into a test.
my $OWN_SETTINGS = qr/^(?:PIPELIT_|DATABASE_URL$|LOG_LEVEL$|LOG_FILE$|FIELD_ENCRYPTION_KEY$|SECRET_KEY$|
	CHECKPOINTS_DB_PATH$|CHECKPOINTS_STORE$|CHECKPOINT_THREAD_MAX_MESSAGES$|CORS_ALLOW_ALL_ORIGINS$|ZOMBIE_EXECUTION_THRESHOLD_SECONDS$)/x;

# PipelitTest->new(%options), nothing started yet:
#   db_url     DATABASE_URL (default: SQLite in the stack's own data dir)
#   env        extra settings for pipelit; an undef value removes one
#   responders, executors   pool sizes (default 2 and 1)
#   nginx      0 to run without nginx (default 1)
sub new {
	my ($class, %o) = @_;
	my $dir = tempdir('pipelit-e2e-XXXXXX', TMPDIR => 1, CLEANUP => 0);
	my $self = bless {
		dir => $dir,
		owner => $$,
		db_url => $o{db_url} // "sqlite:///$dir/data/db.sqlite3",
		extra_env => $o{env} // {},
		responders => $o{responders} // 2,
		executors => $o{executors} // 1,
		with_nginx => $o{nginx} // 1,
		socket => "$dir/pipelit.sock",
		pid_file => "$dir/pipelit.pid",
		log => "$dir/pipelit.log",
		http => HTTP::Tiny->new(timeout => 60, max_redirect => 0, agent => 'pipelit-e2e/1'),
	}, $class;
	$LIVE{ refaddr $self } = $self;
	weaken($LIVE{ refaddr $self });
	return $self;
}

# PipelitTest->started(%options): new + start, reported as a test; returns
# the stack, or undef (with the log as a diagnostic) when it did not come up.
sub started {
	my ($class, %o) = @_;
	my $self = $class->new(%o);
	my $name = $o{name} // 'the stack starts and /health answers';
	return $self if ok($self->start, $name);
	diag($self->log_tail);
	return undef;
}

sub dir { $_[0]{dir} }
sub db_url { $_[0]{db_url} }
sub socket_path { $_[0]{socket} }
sub pid_file { $_[0]{pid_file} }
sub master_pid { $_[0]{master_pid} }
sub port { $_[0]{port} }

sub url {
	my ($self, $path) = @_;
	return "http://127.0.0.1:$self->{port}" . ($path // '/');
}

# How many messages this stack's nginx holds on $channel (0 when it never
# heard of it), asked on its publisher socket.
sub held_messages {
	my ($self, $channel) = @_;
	my $sock = "$self->{dir}/nginx/publish/events.sock";
	my $out = `curl -s -H 'Accept: application/json' --unix-socket '$sock' 'http://localhost/pub/$channel'`;
	my $j = eval { decode_json($out) };
	return $j ? $j->{messages} : 0;
}

# The environment pipelit runs with.
sub env {
	my ($self) = @_;
	my %env = map { $_ => $ENV{$_} } grep { $_ !~ $OWN_SETTINGS } keys %ENV;
	%env = (%env,
		DATABASE_URL => $self->{db_url},
		PIPELIT_DATA_DIR => "$self->{dir}/data",
		# The pool's pid file, so `pipelit run` finds its host's table of
		# watched channels (events/watch.h) beside it.
		PIPELIT_PID_FILE => $self->{pid_file},
		PIPELIT_TEST_ROUTES => 1,
		PIPELIT_RESPONDERS => $self->{responders},
		PIPELIT_EXECUTORS => $self->{executors},
		PIPELIT_SHUTDOWN_TIMEOUT_SECONDS => 20,
		PIPELIT_RESPAWN_BACKOFF_MAX_SECONDS => 2,
		LOG_LEVEL => 'INFO',
		SECRET_KEY => 'e2e-test-secret-key-not-for-production',
	);
	my $key = encryption_key();
	$env{FIELD_ENCRYPTION_KEY} = $key if $key ne '';
	# nginx's live-event publisher (conf/nginx.conf.in), when it has one.
	$env{EVENTS_PUBLISH_URL} = "unix:$self->{dir}/nginx/publish/events.sock"
		if $self->{with_nginx} && -f $NCHAN;
	while (my ($k, $v) = each %{ $self->{extra_env} }) {
		if (defined $v) { $env{$k} = $v } else { delete $env{$k} }
	}
	return \%env;
}

# Starts nginx (once) and the master, then waits for /health.  True when
# the stack answers.
sub start {
	my ($self, @cmd) = @_;
	if ($self->{with_nginx} && !$self->{nginx_pid}) {
		$self->start_nginx or return 0;
	}
	$self->start_master(@cmd);
	return $self->wait_ready;
}

# Starts `pipelit serve` (or @cmd) in its own process group, output
# appended to the stack's log, without waiting for it.
sub start_master {
	my ($self, @cmd) = @_;
	@cmd = ($BIN, 'serve', '--socket', $self->{socket}, '--pid-file', $self->{pid_file}) unless @cmd;
	$self->{master_cmd} = \@cmd;
	$self->{exit_status} = undef;
	$self->{master_pid} = $self->spawn(\@cmd, $self->{log}, $self->env);
	return $self->{master_pid};
}

sub spawn {
	my ($self, $cmd, $out, $env) = @_;
	my $pid = fork // croak "fork: $!";
	if ($pid == 0) {
		setpgrp(0, 0);
		%ENV = %$env if $env;
		chdir $self->{dir};
		open STDIN, '<', '/dev/null';
		open STDOUT, '>>', $out;
		open STDERR, '>&', \*STDOUT;
		{ no warnings 'exec'; exec { $cmd->[0] } @$cmd; }
		print STDERR "exec $cmd->[0]: $!\n";
		POSIX::_exit(127);
	}
	return $pid;
}

# Polls /health through nginx (or the socket file without nginx) until it
# answers 200; false when the master exits first or $seconds pass.
sub wait_ready {
	my ($self, $seconds) = @_;
	return wait_until($seconds // 60, sub {
		return 1 if $self->{with_nginx} && $self->get('/health')->{status} == 200;
		return 1 if !$self->{with_nginx} && -S $self->{socket};
		return defined $self->master_exited ? -1 : 0;
	}) == 1;
}

# The master's exit status once it has exited, else undef.
sub master_exited {
	my ($self) = @_;
	return $self->{exit_status} if defined $self->{exit_status};
	my $pid = $self->{master_pid} or return undef;
	my $status = wait_child($pid, 0);
	$self->{exit_status} = $status if defined $status;
	return $status;
}

# Waits up to $seconds for the master to exit; returns its status or undef.
sub wait_exit {
	my ($self, $seconds) = @_;
	my $status;
	wait_until($seconds // 60, sub { defined($status = $self->master_exited) });
	return $status;
}

# Sends $signal (TERM) to the master and waits for it to exit; returns the
# exit status, or undef when it had to be killed.
sub stop {
	my ($self, $signal, $seconds) = @_;
	my $pid = $self->{master_pid} or return undef;
	return $self->{exit_status} if defined $self->master_exited;
	kill $signal // 'TERM', $pid;
	my $status = $self->wait_exit($seconds // 60);
	$self->kill_group($pid);
	return $status;
}

sub restart {
	my ($self) = @_;
	$self->stop;
	return $self->start(@{ $self->{master_cmd} // [] });
}

# The pool's children and their kinds, from /proc (zombies left out).
sub children_of {
	my ($self, $parent) = @_;
	my @kids;
	for my $stat (glob '/proc/[0-9]*/stat') {
		my $text = slurp($stat) or next;
		my ($pid, $state, $ppid) = $text =~ /^(\d+) \(.*\) (\S) (\d+)/s or next;
		push @kids, $pid if $ppid == $parent && $state ne 'Z';
	}
	return sort { $a <=> $b } @kids;
}

# The process title and name (what the pool sets to tell its children apart).
sub cmdline {
	my ($pid) = @_;
	my $c = slurp("/proc/$pid/cmdline") . ' ' . slurp("/proc/$pid/comm");
	$c =~ tr/\0\n/  /;
	return $c;
}

sub child_pids {
	my ($self) = @_;
	return () unless $self->{master_pid};
	return $self->children_of($self->{master_pid});
}

# The responders: the master's children whose process title says so, or
# all children but the executors when titles do not tell.
sub responder_pids {
	my ($self) = @_;
	# A child just forked shows the master's title until it sets its own,
	# and would be counted as neither kind: wait briefly for every title.
	wait_until(5, sub { !grep { cmdline($_) =~ /: master/ } $self->child_pids });
	my @kids = $self->child_pids;
	my @named = grep { cmdline($_) =~ /responder/i } @kids;
	return @named if @named;
	return grep { cmdline($_) !~ /executor/i } @kids;
}

sub executor_pids {
	my ($self) = @_;
	return grep { cmdline($_) =~ /executor/i } $self->child_pids;
}

# --- nginx ------------------------------------------------------------------------

sub render_nginx_conf {
	my ($self, $prefix, $port) = @_;
	my $text = slurp("$SRCDIR/conf/nginx.conf.in") or croak "cannot read $SRCDIR/conf/nginx.conf.in";
	my $max_body = $self->env->{PIPELIT_MAX_BODY_BYTES} // 10485760;
	my %v = (
		LOAD_MODULES => -f $NCHAN ? "load_module $NCHAN;" : '',
		NCHAN => -f $NCHAN ? '' : '#',
		# As root, nginx's workers would drop to nobody, who may not reach
		# the source tree (under /root in CI) or the socket (mode 0660):
		# the test nginx keeps its workers as root instead.
		USER_LINE => $> == 0 ? 'user root;' : '',
		PREFIX => $prefix,
		LISTEN => "127.0.0.1:$port",
		WWW_DIR => $WWW,
		SOCKET => $self->{socket},
		MAX_BODY => $max_body,
		EVENT_TICKET_SECONDS => $self->env->{EVENT_TICKET_SECONDS} // 60,
		EVENT_BUFFER_SECONDS => $self->env->{EVENT_BUFFER_SECONDS} // 300,
	);
	$text =~ s/@([A-Z_]+)@/exists $v{$1} ? $v{$1} : "\@$1\@"/ge;
	make_path("$prefix/tmp", "$prefix/publish");
	chmod 0700, "$prefix/publish";
	open my $fh, '>', "$prefix/nginx.conf" or croak "$prefix/nginx.conf: $!";
	print $fh $text;
	close $fh;
}

# Starts nginx in the foreground (a child of ours) on a free port; retries
# when another process grabs the port first.
sub start_nginx {
	my ($self) = @_;
	my $prefix = "$self->{dir}/nginx";
	for my $attempt (1 .. 5) {
		my $port = free_port();
		$self->render_nginx_conf($prefix, $port);
		my $pid = $self->spawn([$NGINX, '-p', $prefix, '-c', "$prefix/nginx.conf",
			'-e', "$prefix/error.log", '-g', 'daemon off;'], "$prefix/nginx.out");
		my $up = wait_until(30, sub {
			return -1 if waitpid($pid, WNOHANG) == $pid;
			my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Timeout => 1);
			return $c ? 1 : 0;
		});
		if ($up == 1) {
			@$self{qw(nginx_pid port)} = ($pid, $port);
			return 1;
		}
		$self->kill_group($pid) if $up != -1;
		my $err = slurp("$prefix/error.log") . slurp("$prefix/nginx.out");
		next if $err =~ /Address already in use/;
		diag("nginx did not start: $err");
		return 0;
	}
	return 0;
}

# --- HTTP ----------------------------------------------------------------------------

# request(METHOD, PATH, {headers => {...}, content => STRING|REF}): a
# reference as content is sent as JSON.
sub request {
	my ($self, $method, $path, $opt) = @_;
	my %o = %{ $opt // {} };
	if (ref $o{content}) {
		$o{content} = encode_json($o{content});
		$o{headers} = { 'Content-Type' => 'application/json', %{ $o{headers} // {} } };
	}
	return $self->{http}->request($method, $self->url($path), \%o);
}

sub get { my ($self, $path, $headers) = @_; $self->request('GET', $path, { headers => $headers // {} }) }

sub post {
	my ($self, $path, $content, $headers) = @_;
	return $self->request('POST', $path, { content => $content // '', headers => $headers // {} });
}

# The response's body as JSON, or undef when it is not JSON.
sub json {
	my ($self, $res) = @_;
	return eval { JSON::PP->new->allow_nonref->decode($res->{content} // '') };
}

# Starts a child process that requests $path in a loop until ->finish (or
# $max_seconds), counting answers by status.
sub start_load {
	my ($self, %o) = @_;
	my $path = $o{path} // '/health';
	my $result = "$self->{dir}/load." . random_name();
	my $stop = "$result.stop";
	my $url = $self->url($path);
	my $pid = fork // croak "fork: $!";
	if ($pid == 0) {
		my $http = HTTP::Tiny->new(timeout => 30, keep_alive => 0);
		my %count;
		my $deadline = time + ($o{max_seconds} // 60);
		while (!-e $stop && time < $deadline) {
			my $res = $http->get($url);
			$count{ $res->{status} }++;
		}
		open my $fh, '>', $result;
		print $fh map { "$_ $count{$_}\n" } sort keys %count;
		close $fh;
		POSIX::_exit(0);
	}
	return PipelitTest::Load->new(pid => $pid, result => $result, stop => $stop);
}

# --- looking inside -----------------------------------------------------------------

# Runs `pipelit ARGS...` with the stack's environment, in its directory;
# returns (exit status, output).
sub pipelit {
	my ($self, @args) = @_;
	return run_command(cmd => [$BIN, @args], env => $self->env, dir => $self->{dir}, timeout => 120);
}

# Runs SQL against the stack's database with the sqlite3 CLI or psql;
# returns the output ('|' between columns, a line per row), or undef (with
# the error as a diagnostic) when it fails.
sub db_query {
	my ($self, $sql) = @_;
	my ($rc, $out);
	if ($self->{db_url} =~ m{^sqlite:///(.*)$}) {
		my $path = File::Spec->rel2abs($1, $self->{dir});
		($rc, $out) = run_command(cmd => ['sqlite3', '-batch', '-bail', '-cmd', '.timeout 10000', $path, $sql],
			timeout => 60);
	} else {
		($rc, $out) = psql($self->{db_url}, $sql);
	}
	if ($rc != 0) {
		diag("db_query($sql) failed: $out");
		return undef;
	}
	chomp $out;
	return $out;
}

sub log_text {
	my ($self) = @_;
	return slurp($self->{log});
}

sub log_tail {
	my ($self, $lines) = @_;
	my @l = split /\n/, $self->log_text;
	my $n = $lines // 40;
	@l = @l[-$n .. -1] if @l > $n;
	my $nginx = slurp("$self->{dir}/nginx/error.log");
	return join("\n", "--- pipelit log ($self->{log}):", @l,
		($nginx ne '' ? ("--- nginx error.log:", $nginx) : ()));
}

# --- cleanup ---------------------------------------------------------------------------

sub kill_group {
	my ($self, $pid) = @_;
	return unless $pid;
	kill 'TERM', -$pid;
	wait_until(10, sub { waitpid($pid, WNOHANG) != 0 || !kill(0, $pid) });
	kill 'KILL', -$pid;
	waitpid($pid, WNOHANG);
}

# Kills everything this stack started and removes its directory.
sub cleanup {
	my ($self) = @_;
	return if $self->{cleaned} || $self->{owner} != $$;
	$self->{cleaned} = 1;
	$self->kill_group($self->{master_pid}) if $self->{master_pid} && !defined $self->{exit_status};
	# A killed master may leave children in its group.
	kill 'KILL', -$self->{master_pid} if $self->{master_pid};
	$self->kill_group($self->{nginx_pid}) if $self->{nginx_pid};
	remove_tree($self->{dir}) unless $ENV{PIPELIT_TEST_KEEP} || !Test::More->builder->is_passing;
	delete $LIVE{ refaddr $self };
}

sub DESTROY { $_[0]->cleanup }

sub stop_all {
	$_->cleanup for grep { defined } values %LIVE;
}

END {
	my $status = $?;
	stop_all() if $$ == $PID;
	$? = $status;
}

# A signal ends the test through exit, so END still cleans up.
$SIG{$_} = sub { exit 1 } for qw(INT TERM HUP);

package PipelitTest::Load;

use strict;
use warnings;

sub new {
	my ($class, %o) = @_;
	return bless {%o}, $class;
}

# Stops the loop; returns {STATUS => count, ...}.
sub finish {
	my ($self) = @_;
	open my $fh, '>', $self->{stop};
	close $fh;
	PipelitTest::wait_child($self->{pid}, 90) // do { kill 'KILL', $self->{pid}; waitpid($self->{pid}, 0) };
	my %count;
	for (split /\n/, PipelitTest::slurp($self->{result})) {
		my ($status, $n) = split ' ';
		$count{$status} = $n;
	}
	unlink $self->{result}, $self->{stop};
	return \%count;
}

1;
