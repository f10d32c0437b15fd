package FakeGateway;

# FakeGateway: a stand-in for msg-gateway on 127.0.0.1 for the end-to-end
# tests.  It answers POST /api/v1/send with 200 {"ok": true} and records
# every request it receives (method, path, headers, the body as JSON), so a
# test sees what pipelit sent to a chat.
#
#   my $gw = FakeGateway->start;              # a free port
#   my $gw = FakeGateway->start(port => $p);  # that port (a restart after stop)
#   $gw->url                                   # http://127.0.0.1:PORT
#   my @sent = $gw->requests;                  # [{method, path, headers => {lc => v}, body}]
#   $gw->stop;                                 # down: connections are refused
#
# Each connection is served by a child of the server process; everything is
# killed when the object goes away.  The record is a file that outlives a
# stop, so a restarted double (same log) keeps the earlier requests.

use strict;
use warnings;

use File::Temp qw(tempfile);
use IO::Socket::INET;
use JSON::PP;
use POSIX qw();

sub start {
	my ($class, %o) = @_;
	my $listen = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $o{port} // 0,
		Listen => 32, ReuseAddr => 1, Proto => 'tcp') or die "FakeGateway: listen: $!";
	my $log = $o{log};
	(undef, $log) = tempfile('fake-gateway-XXXXXX', TMPDIR => 1, UNLINK => 1) unless defined $log;
	my $self = bless { port => $listen->sockport, log => $log, owner => $$ }, $class;
	my $pid = fork // die "FakeGateway: fork: $!";
	if ($pid == 0) {
		setpgrp(0, 0);
		serve($listen, $log);
		POSIX::_exit(0);
	}
	close $listen;
	$self->{pid} = $pid;
	return $self;
}

# The same double again, on the same port and record, after stop.
sub restart {
	my ($self) = @_;
	$self->stop;
	my $again = FakeGateway->start(port => $self->{port}, log => $self->{log});
	$self->{pid} = delete $again->{pid};
	return $self;
}

sub port { $_[0]{port} }
sub url { "http://127.0.0.1:$_[0]{port}" }

# The requests received so far, oldest first.
sub requests {
	my ($self) = @_;
	open my $fh, '<', $self->{log} or return ();
	my @r = map { decode_json($_) } grep { /\S/ } <$fh>;
	close $fh;
	return @r;
}

# The texts of the send requests received so far.
sub texts {
	my ($self) = @_;
	return map { $_->{json} ? $_->{json}{text} // '' : '' } $self->requests;
}

sub stop {
	my ($self) = @_;
	return unless $self->{pid} && $self->{owner} == $$;
	kill 'KILL', -$self->{pid};
	kill 'KILL', $self->{pid};
	waitpid($self->{pid}, 0);
	delete $self->{pid};
}

sub DESTROY { $_[0]->stop }

# --- the server process -------------------------------------------------------

sub serve {
	my ($listen, $log) = @_;
	$SIG{CHLD} = 'IGNORE';
	while (1) {
		my $c = $listen->accept or next;
		my $pid = fork;
		if (defined $pid && $pid == 0) {
			close $listen;
			eval { handle($c, $log) };
			close $c;
			POSIX::_exit(0);
		}
		close $c;
	}
}

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
	my $body = '';
	read($c, $body, $h{'content-length'}) if $h{'content-length'};
	return { method => $method, path => (split /\?/, $target)[0], headers => \%h, body => $body };
}

sub respond {
	my ($c, $status, $body) = @_;
	print $c "HTTP/1.1 $status X\r\nContent-Type: application/json\r\nContent-Length: "
		. length($body) . "\r\nConnection: close\r\n\r\n$body";
}

sub handle {
	my ($c, $log) = @_;
	binmode $c;
	my $req = read_request($c) or return;
	my $json = eval { JSON::PP->new->utf8->decode($req->{body}) };
	open my $fh, '>>', $log;
	print $fh JSON::PP->new->utf8->canonical->encode({ method => $req->{method}, path => $req->{path},
		headers => $req->{headers}, body => $req->{body}, json => $json }) . "\n";
	close $fh;
	return respond($c, 404, '{"detail":"Not Found"}')
		unless $req->{method} eq 'POST' && $req->{path} eq '/api/v1/send';
	return respond($c, 200, '{"ok":true}');
}

1;
