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
# It is also a SearXNG instance at $fp->url('/searx-MODE') for the test of
# a SearXNG tool credential (GET <base>/search?q=...&format=json):
#   "ok"  200 with SearXNG's JSON     "nojson"  403 (JSON format off)
#   "html"  200 with an HTML page (not SearXNG's JSON)
#
#   my $fp = FakeProvider->start;
#   my $base = $fp->url('/v1');      # http://127.0.0.1:PORT/v1
#   my @seen = $fp->requests;        # [{method, path, headers => {lc name => value}}]
#
# Each connection is served by a child of the server process; everything
# is killed when the object goes away.

use strict;
use warnings;

use parent 'LocalServer';

use File::Temp qw(tempfile);
use JSON::PP;
use LocalServer qw(read_request respond);

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
	my $listen = LocalServer::listen_on($class);
	my (undef, $log) = tempfile('fake-provider-XXXXXX', TMPDIR => 1, UNLINK => 1);
	my $self = bless { port => $listen->sockport, log => $log }, $class;
	$self->spawn($listen, sub { LocalServer::serve_forked($listen, sub { handle($_[0], $log) }) });
	return $self;
}

# The requests seen so far, oldest first.
sub requests { LocalServer::json_lines($_[0]{log}) }

sub last_request { ($_[0]->requests)[-1] }

sub clear_requests {
	my ($self) = @_;
	open my $fh, '>', $self->{log};
	close $fh;
}

# --- the server process -------------------------------------------------------

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
	if ($route =~ m{^GET /searx-(\w+)/search$}) {
		my $mode = $1;
		return respond($c, 403, '<html>Forbidden</html>', 'Content-Type' => 'text/html') if $mode eq 'nojson';
		return respond($c, 200, '<html>a search page</html>', 'Content-Type' => 'text/html') if $mode eq 'html';
		return respond($c, 200, encode_json({ query => 'pipelit', number_of_results => 1, results => [
			{ title => 'Pipelit', content => 'A workflow engine.', url => 'https://example.org/' }] }));
	}
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
