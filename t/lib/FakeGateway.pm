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

use parent 'LocalServer';

use File::Temp qw(tempfile);
use JSON::PP;
use LocalServer qw(read_request respond);

sub start {
	my ($class, %o) = @_;
	my $listen = LocalServer::listen_on($class, port => $o{port});
	my $log = $o{log};
	(undef, $log) = tempfile('fake-gateway-XXXXXX', TMPDIR => 1, UNLINK => 1) unless defined $log;
	my $self = bless { port => $listen->sockport, log => $log }, $class;
	$self->spawn($listen, sub { LocalServer::serve_forked($listen, sub { handle($_[0], $log) }) });
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

sub url { "http://127.0.0.1:$_[0]{port}" }

# The requests received so far, oldest first.
sub requests { LocalServer::json_lines($_[0]{log}) }

# The texts of the send requests received so far.
sub texts {
	my ($self) = @_;
	return map { $_->{json} ? $_->{json}{text} // '' : '' } $self->requests;
}

# --- the server process -------------------------------------------------------

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
