package FakeProvider;

# FakeProvider: a tiny LLM provider on 127.0.0.1 for the end-to-end tests.
# It speaks the two wire formats the credential probe uses:
#
#   GET /v1/models  with "Authorization: Bearer K"          (OpenAI-compatible)
#   GET /v1/models  with "x-api-key: K" + anthropic-version  (Anthropic)
#   POST /v1/messages with x-api-key                          (Anthropic)
#
# The API key picks the answer, so one server serves every case at once:
#   "good-..."  200 with a models list      "bad-..."  401
#   "boom-..."  500 with an error body      "slow-..." answers after 10 s
#   "junk-..."  200 with a body that is not JSON
#   "huge-..."  200 with a body over 1 MiB  "redir-..." 302 to another host
#   "drip-..."  after $DRIP_SECONDS, 302 to itself (?hop=N+1), 200 at hop 3
#   "file-..."  302 to file:///etc/passwd
#   "leak-..."  500 with a text body (an internal page that must not be echoed)
#   "jerr-..."  500 with a JSON error whose message is long
#
#   my $fp = FakeProvider->start;
#   my $base = $fp->url('/v1');      # http://127.0.0.1:PORT/v1
#   my @seen = $fp->requests;        # [{method, path, headers => {lc name => value}}]
#
# Each connection is served by a child of the server process; everything
# is killed when the object goes away.

use strict;
use warnings;

use File::Temp qw(tempfile);
use IO::Socket::INET;
use JSON::PP;
use POSIX qw(WNOHANG);

our $SLOW_SECONDS = 10;
our $DRIP_SECONDS = 1.2;

my @MODELS = (
	{ id => 'zeta-large', object => 'model' },
	{ id => 'alpha-small', object => 'model' },
	{ object => 'model', name => 'no id here' },
	{ id => 'mid-0', object => 'model' },
);

sub start {
	my ($class) = @_;
	my $listen = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 32,
		ReuseAddr => 1, Proto => 'tcp') or die "FakeProvider: listen: $!";
	my (undef, $log) = tempfile('fake-provider-XXXXXX', TMPDIR => 1, UNLINK => 1);
	my $self = bless { port => $listen->sockport, log => $log, owner => $$ }, $class;
	my $pid = fork // die "FakeProvider: fork: $!";
	if ($pid == 0) {
		setpgrp(0, 0);
		serve($listen, $log);
		POSIX::_exit(0);
	}
	close $listen;
	$self->{pid} = $pid;
	return $self;
}

sub port { $_[0]{port} }
sub url { "http://127.0.0.1:$_[0]{port}" . ($_[1] // '') }

# The requests seen so far, oldest first.
sub requests {
	my ($self) = @_;
	open my $fh, '<', $self->{log} or return ();
	my @r = map { decode_json($_) } grep { /\S/ } <$fh>;
	close $fh;
	return @r;
}

sub last_request { ($_[0]->requests)[-1] }

sub clear_requests {
	my ($self) = @_;
	open my $fh, '>', $self->{log};
	close $fh;
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
	my ($path) = split /\?/, $target;
	return { method => $method, target => $target, path => $path, headers => \%h, body => $body };
}

sub respond {
	my ($c, $status, $body, %headers) = @_;
	my $ct = delete $headers{'Content-Type'} // 'application/json';
	my $head = "HTTP/1.1 $status X\r\nContent-Type: $ct\r\nContent-Length: " . length($body)
		. "\r\nConnection: close\r\n";
	$head .= "$_: $headers{$_}\r\n" for sort keys %headers;
	print $c "$head\r\n$body";
}

sub error_body {
	my ($type, $message) = @_;
	return encode_json({ error => { type => $type, message => $message } });
}

sub handle {
	my ($c, $log) = @_;
	binmode $c;
	my $req = read_request($c) or return;
	open my $fh, '>>', $log;
	print $fh encode_json({ method => $req->{method}, path => $req->{path}, target => $req->{target},
		headers => $req->{headers} }) . "\n";
	close $fh;

	my $h = $req->{headers};
	my $anthropic = exists $h->{'x-api-key'};
	my $key = $anthropic ? $h->{'x-api-key'} : (($h->{authorization} // '') =~ /^Bearer (.*)$/ ? $1 : '');
	if ($anthropic && ($h->{'anthropic-version'} // '') eq '') {
		return respond($c, 400, error_body('invalid_request_error', 'anthropic-version header is required'));
	}
	my $route = "$req->{method} $req->{path}";
	unless ($route eq 'GET /v1/models' || ($anthropic && $route eq 'POST /v1/messages')) {
		return respond($c, 404, error_body('not_found', "no route $route"));
	}
	if ($key =~ /^bad-/ || $key eq '') {
		# Providers echo part of the key; the probe must mask it.
		return respond($c, 401, error_body('authentication_error', "Incorrect API key provided: $key"));
	}
	return respond($c, 500, "internal trouble for key $key: the model server fell over") if $key =~ /^boom-/;
	if ($key =~ /^slow-/) {
		sleep $SLOW_SECONDS;
		return respond($c, 200, encode_json({ data => [] }));
	}
	return respond($c, 200, '{"data": [oops this is not json', 'Content-Type' => 'text/plain') if $key =~ /^junk-/;
	return respond($c, 200, '{"data":[' . ('{"id":"x"},' x 120000) . '{"id":"y"}]}') if $key =~ /^huge-/;
	return respond($c, 302, '', Location => 'http://127.0.0.2:1/v1/models') if $key =~ /^redir-/;
	return respond($c, 302, '', Location => 'file:///etc/passwd') if $key =~ /^file-/;
	if ($key =~ /^drip-/) {
		my ($hop) = $req->{target} =~ /[?&]hop=(\d+)/;
		$hop //= 0;
		select(undef, undef, undef, $DRIP_SECONDS);
		return respond($c, 302, '', Location => "/v1/models?hop=" . ($hop + 1)) if $hop < 3;
		return respond($c, 200, encode_json({ data => [] }));
	}
	return respond($c, 500, "<html>root:x:0:0 internal-only page db_password=hunter2</html>",
		'Content-Type' => 'text/html') if $key =~ /^leak-/;
	return respond($c, 500, error_body('server_error', 'overloaded ' . ('x' x 400) . ' db_password=hunter2'))
		if $key =~ /^jerr-/;
	if ($route eq 'POST /v1/messages') {
		return respond($c, 200, encode_json({ id => 'msg_1', type => 'message', role => 'assistant',
			content => [{ type => 'text', text => 'hi' }], model => 'claude-test',
			usage => { input_tokens => 1, output_tokens => 1 } }));
	}
	if ($anthropic) {
		return respond($c, 200, encode_json({ data => [map { { %$_, type => 'model',
			display_name => $_->{id} // '' } } @MODELS], has_more => JSON::PP::false }));
	}
	return respond($c, 200, encode_json({ object => 'list', data => \@MODELS }));
}

1;
