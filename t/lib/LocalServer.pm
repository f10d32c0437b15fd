package LocalServer;

# LocalServer: what the tests' HTTP doubles on 127.0.0.1 (FakeLLM,
# FakeProvider, FakeGateway) share: the listening socket, the server
# process (the leader of its own process group, so stop() kills it with
# every connection's child), the accept loop with a child per connection,
# reading one request, writing an answer, and the JSON-lines record of what
# was received.
#
#   package FakeThing;
#   use parent 'LocalServer';
#   use LocalServer qw(read_request respond);
#   sub start {
#       my ($class) = @_;
#       my $listen = LocalServer::listen_on($class);
#       my $self = bless { port => $listen->sockport, log => $file }, $class;
#       $self->spawn($listen, sub { LocalServer::serve_forked($listen, sub { handle($_[0]) }) });
#       return $self;
#   }
#
# A double gets port(), url($suffix), stop() and stop-on-destroy.  Only
# 127.0.0.1 is ever bound.

use strict;
use warnings;

use Exporter qw(import);
use Fcntl qw(:flock);
use IO::Socket::INET;
use JSON::PP;
use POSIX ();

our @EXPORT_OK = qw(read_request respond send_all head_text);

# A listening socket on 127.0.0.1: port (0 or absent: a free one), backlog
# (32).  Dies naming $name when it cannot.
sub listen_on {
	my ($name, %o) = @_;
	my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $o{port} // 0,
		Listen => $o{backlog} // 32, ReuseAddr => 1, Proto => 'tcp')
		or die "$name: listen: $!";
	return $s;
}

# Runs $loop->() in a new process that leads its own process group, and
# keeps its pid in the object; this process's copy of $listen is closed.
sub spawn {
	my ($self, $listen, $loop) = @_;
	my $pid = fork // die ref($self) . ": fork: $!";
	if ($pid == 0) {
		setpgrp(0, 0);
		$loop->();
		POSIX::_exit(0);
	}
	close $listen;
	$self->{pid} = $pid;
	$self->{owner} = $$;
	return $pid;
}

# Accepts for ever; each connection is served by $handle->($c) in a child
# of its own, hundreds at once.
sub serve_forked {
	my ($listen, $handle) = @_;
	$SIG{CHLD} = 'IGNORE';
	while (1) {
		my $c = $listen->accept or next;
		my $pid = fork;
		if (defined $pid && $pid == 0) {
			close $listen;
			eval { $handle->($c) };
			close $c;
			POSIX::_exit(0);
		}
		close $c;
	}
}

# One request read from $c: {method, target, path (without the query),
# headers => {lowercased name => value}, body}, or undef when it is not
# HTTP.  An "Expect: 100-continue" is answered first.
sub read_request {
	my ($c) = @_;
	local $/ = "\r\n";
	my $line = <$c> // return;
	my ($method, $target) = $line =~ m{^(\S+) (\S+) HTTP/} or return;
	my %h;
	while (defined(my $l = <$c>)) {
		$l =~ s/\r\n$//;
		last if $l eq '';
		my ($k, $v) = $l =~ /^([^:]+):\s*(.*)$/ or next;
		$h{ lc $k } = $v;
	}
	if (lc($h{expect} // '') eq '100-continue') {
		syswrite($c, "HTTP/1.1 100 Continue\r\n\r\n");
	}
	my $body = '';
	my $want = $h{'content-length'} // 0;
	while (length($body) < $want) {
		my $n = read($c, $body, $want - length($body), length($body));
		last unless $n;
	}
	my ($path) = split /\?/, $target;
	return { method => $method, target => $target, path => $path, headers => \%h, body => $body };
}

# Writes all of $data; 0 when the peer went away first.
sub send_all {
	my ($c, $data) = @_;
	while (length $data) {
		my $n = syswrite($c, $data);
		return 0 unless defined $n && $n > 0;
		substr($data, 0, $n, '');
	}
	return 1;
}

# A status line and headers (sorted), with the blank line that ends them.
sub head_text {
	my ($status, %headers) = @_;
	my $h = "HTTP/1.1 $status " . ($status < 400 ? 'OK' : 'Error') . "\r\n";
	$h .= "$_: $headers{$_}\r\n" for sort keys %headers;
	return "$h\r\n";
}

# A whole answer: Content-Type JSON unless given, its length, and
# Connection: close.
sub respond {
	my ($c, $status, $body, %headers) = @_;
	$headers{'Content-Type'} //= 'application/json';
	send_all($c, head_text($status, %headers, 'Content-Length' => length($body), Connection => 'close')
		. $body);
}

# The records of a JSON-lines file, oldest first, decoded by $json (UTF-8
# JSON by default); () when there is no file.
sub json_lines {
	my ($file, $json) = @_;
	$json //= JSON::PP->new->utf8;
	open my $fh, '<', $file or return ();
	flock($fh, LOCK_SH);
	my @r = map { $json->decode($_) } grep { /\S/ } <$fh>;
	close $fh;
	return @r;
}

sub port { $_[0]{port} }
sub url { "http://127.0.0.1:$_[0]{port}" . ($_[1] // '') }

# Kills the server and every connection's child (the process that started
# it only: a forked test child's copy leaves it alone).
sub stop {
	my ($self) = @_;
	return unless $self->{pid} && $self->{owner} == $$;
	kill 'KILL', -$self->{pid};
	kill 'KILL', $self->{pid};
	local $?;
	waitpid($self->{pid}, 0);
	delete $self->{pid};
}

sub DESTROY { $_[0]->stop }

1;
