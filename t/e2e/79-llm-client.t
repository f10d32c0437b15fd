#!/usr/bin/perl
# The LLM transport (src/llm/client.c) against the test double FakeLLM,
# through t/unit/llm_call_driver (one call on its own event loop), for
# both wire formats, streamed and not: a text answer whose streamed
# pieces add up to it in order, tool calls, usage; 429 with Retry-After
# then success, 500 twice then success, 500 three times (failed after 3
# requests with a readable message), a stalled provider (failed by the
# deadline), malformed JSON and a cut answer (failed, not retried), a
# reset stream retried from the start; the key only in its header and
# never in the outcome; a loopback provider refused unless the outbound
# allowlist opens it.  (No database: nothing here depends on the backend.)
use strict;
use warnings;

use File::Basename qw(dirname);
use File::Temp qw(tempfile);
use JSON::PP;
use POSIX ();
use Test::More;
use PipelitTest;
use FakeLLM;

my $DRIVER = dirname(pipelit_bin()) . '/t/unit/llm_call_driver';
plan skip_all => "$DRIVER is not built" unless -x $DRIVER;

my $JSON = JSON::PP->new->canonical;
my $llm = FakeLLM->start;
my $KEY = 'sk-secret-' . join('', map { ('a' .. 'z')[rand 26] } 1 .. 24);
my %BASE = (openai => $llm->url('/v1'), anthropic => $llm->url(''));
my %TYPE = (openai => 'openai_compatible', anthropic => 'anthropic');

# Runs one call; returns the driver's outcome (a hash).  The double's log
# then holds this call's requests only.
sub call {
	my (%o) = @_;
	$llm->clear_requests;
	my $wire = $o{wire} // 'openai';
	my $scenario = {
		provider => { provider_type => $TYPE{$wire}, api_key => $o{key} // $KEY, base_url => $o{base} // $BASE{$wire} },
		request => { model => 'mock-model', max_tokens => 200, system => 'You are terse.',
			messages => $o{messages} // [{ type => 'human', data => { content => $o{ask} // 'hello' } }],
			($o{tools} ? (tools => $o{tools}) : ()), stream => $o{stream} ? JSON::PP::true : JSON::PP::false },
		options => { max_retries => 2, backoff_scale => 0.01, connect_timeout_ms => 2000,
			attempt_timeout_ms => 5000, %{ $o{options} // {} } },
		allow => exists $o{allow} ? $o{allow} : '127.0.0.1',
	};
	my ($fh, $file) = tempfile('llm-scenario-XXXXXX', TMPDIR => 1, UNLINK => 1);
	print $fh $JSON->encode($scenario);
	close $fh;
	my ($status, $out) = run_command(cmd => [$DRIVER, $file], timeout => 60);
	my ($line) = grep { /^\{/ } reverse split /\n/, $out;
	my $r = eval { decode_json($line // '') };
	unless ($status == 0 && $r) {
		diag("driver exit $status: $out");
		return { state => 'driver failed', raw => $out };
	}
	$r->{raw} = $out;
	return $r;
}

sub requests_made { scalar $llm->chat_requests }

my $LONG = 'The quick brown fox jumps over the lazy dog, twice, and then rests.';

for my $wire (qw(openai anthropic)) {
	for my $stream (0, 1) {
		my $how = "$wire " . ($stream ? 'streamed' : 'whole');

		# --- a text answer, its pieces, usage -------------------------------
		$llm->script([{ match => 'fox', text => $LONG }, { match => 'weather',
			tool_calls => [{ name => 'calculator', args => { expression => '2+2' } }] }]);
		my $r = call(wire => $wire, stream => $stream, ask => 'tell me about the fox');
		is($r->{state}, 'done', "$how: done") or diag($r->{raw});
		is($r->{text}, $LONG, "$how: the reply's text");
		if ($stream) {
			ok(@{ $r->{deltas} } > 5, "$how: the text arrived in pieces");
			is(join('', @{ $r->{deltas} }), $LONG, "$how: the pieces add up to the reply, in order");
		} else {
			is_deeply($r->{deltas}, [], "$how: no pieces when not streaming");
		}
		my ($req) = $llm->chat_requests;
		is(scalar $llm->chat_requests, 1, "$how: one request");
		is_deeply($r->{usage}, { input_tokens => $req->{reply}{usage}{input_tokens},
			output_tokens => $req->{reply}{usage}{output_tokens}, known => JSON::PP::true },
			"$how: the usage the provider reported");
		is($req->{stream}, $stream, "$how: the request asked to stream or not");
		is($r->{requests}, 1, "$how: the call counts one request");

		# The key went only in its own header.
		my $body_text = $JSON->encode($req->{body});
		unlike($body_text, qr/\Q$KEY\E/, "$how: the key is not in the body");
		if ($wire eq 'openai') {
			is($req->{headers}{authorization}, "Bearer $KEY", "$how: the key in Authorization");
			ok(!exists $req->{headers}{'x-api-key'}, "$how: no x-api-key");
		} else {
			is($req->{headers}{'x-api-key'}, $KEY, "$how: the key in x-api-key");
			ok(!exists $req->{headers}{authorization}, "$how: no Authorization");
		}
		my @other = grep { $_ ne ($wire eq 'openai' ? 'authorization' : 'x-api-key') && $req->{headers}{$_} =~ /\Q$KEY\E/ }
			keys %{ $req->{headers} };
		is_deeply(\@other, [], "$how: the key in no other header");
		ok(!exists $req->{headers}{expect}, "$how: no Expect: 100-continue round trip");
		my $system = $wire eq 'anthropic' ? $req->{body}{system}
			: ($req->{body}{messages}[0]{role} eq 'system' ? $req->{body}{messages}[0]{content} : undef);
		$system = join('', map { $_->{text} } @$system) if ref $system eq 'ARRAY';
		is($system, 'You are terse.', "$how: the system prompt reached the provider");
		is($req->{body}{model}, 'mock-model', "$how: the model");

		# --- tool calls ---------------------------------------------------------
		$r = call(wire => $wire, stream => $stream, ask => 'the weather?',
			tools => [{ name => 'calculator', description => 'Adds things',
				parameters => { type => 'object', properties => { expression => { type => 'string' } } } }]);
		is($r->{state}, 'done', "$how tool call: done") or diag($r->{raw});
		my $sent = ($llm->chat_requests)[0]{body}{tools}[0];
		is($wire eq 'openai' ? $sent->{function}{name} : $sent->{name}, 'calculator', "$how: the tool was sent");
		is(scalar @{ $r->{tool_calls} }, 1, "$how: one tool call");
		is($r->{tool_calls}[0]{name}, 'calculator', "$how: the tool's name");
		is_deeply($r->{tool_calls}[0]{args}, { expression => '2+2' }, "$how: its arguments, assembled");
		ok(length($r->{tool_calls}[0]{id} // ''), "$how: its id");

		# --- an answer that ends when the connection closes --------------------
		$llm->script([{ until_close => 1, text => $LONG }]);
		$r = call(wire => $wire, stream => $stream);
		is($r->{state}, 'done', "$how: an answer delimited by the close") or diag($r->{raw});
		is($r->{text}, $LONG, "$how: read to the end");

		# --- 429 with Retry-After, then success ------------------------------
		$llm->script([{ status => 429, retry_after => '1', times => 1 }, { text => 'after the wait' }]);
		$r = call(wire => $wire, stream => $stream);
		is($r->{state}, 'done', "$how: 429 then success") or diag($r->{raw});
		is($r->{text}, 'after the wait', "$how: the second answer");
		is($r->{requests}, 2, "$how: 429 once: 2 requests");
		is(requests_made(), 2, "$how: the provider saw 2 requests");

		# --- 500 twice, then success ------------------------------------------
		$llm->script([{ status => 500, times => 2 }, { text => 'third time lucky' }]);
		$r = call(wire => $wire, stream => $stream);
		is($r->{state}, 'done', "$how: 500 twice then success") or diag($r->{raw});
		is($r->{text}, 'third time lucky', "$how: the third answer");
		is(requests_made(), 3, "$how: 3 requests");

		# --- 500 three times: failed after 3 requests -----------------------------
		$llm->script([{ status => 500, error => 'the model server is overloaded' }]);
		$r = call(wire => $wire, stream => $stream);
		is($r->{state}, 'failed', "$how: 500 three times fails");
		is($r->{error_code}, 'llm_http_500', "$how: error code llm_http_500");
		like($r->{error}, qr/overloaded/, "$how: the provider's message is readable: $r->{error}");
		is($r->{requests}, 3, "$how: 1 + max_retries requests");
		is(requests_made(), 3, "$how: the provider saw 3");

		# max_retries 0: one request.
		$r = call(wire => $wire, stream => $stream, options => { max_retries => 0 });
		is(requests_made(), 1, "$how: max_retries 0: one request");

		# 408 and 409 are retried; 400 is not.
		$llm->script([{ status => 408, times => 1 }, { status => 409, times => 1 }, { text => 'ok' }]);
		$r = call(wire => $wire, stream => $stream);
		is($r->{state}, 'done', "$how: 408 then 409 then success");
		is(requests_made(), 3, "$how: 408 and 409 retried");
		$llm->script([{ status => 400, error => 'bad request: no such model' }]);
		$r = call(wire => $wire, stream => $stream);
		is($r->{error_code}, 'llm_http_400', "$how: 400 fails");
		is(requests_made(), 1, "$how: 400 is not retried");

		# --- malformed and cut answers: failed, not retried ------------------------
		$llm->script([{ malformed => 1, text => 'a b c d e f' }]);
		$r = call(wire => $wire, stream => $stream);
		is($r->{state}, 'failed', "$how: malformed fails");
		is($r->{error_code}, 'llm_malformed', "$how: llm_malformed") or diag($r->{error});
		is(requests_made(), 1, "$how: malformed is not retried");

		$llm->script([{ cut => 1, text => 'a b c d e f g h i j' }]);
		$r = call(wire => $wire, stream => $stream);
		is($r->{state}, 'failed', "$how: a cut answer fails");
		is($r->{error_code}, 'llm_cut', "$how: llm_cut") or diag($r->{error});
		is(requests_made(), 1, "$how: a cut answer is not retried");

		if ($stream) {
			$llm->script([{ truncate => 1, text => 'a b c d e f g h i j' }]);
			$r = call(wire => $wire, stream => $stream);
			is($r->{error_code}, 'llm_cut', "$how: a stream without its final event: llm_cut") or diag($r->{error});
			is(requests_made(), 1, "$how: not retried");

			# A reset mid-stream is a connection error: asked again, and the
			# caller is told to start the text over.
			$llm->script([{ reset => 1, times => 1, text => 'x y z w v u t s r q' }, { text => $LONG }]);
			$r = call(wire => $wire, stream => $stream);
			is($r->{state}, 'done', "$how: reset mid-stream, then success") or diag($r->{raw});
			is(requests_made(), 2, "$how: the reset was retried");
			is($r->{restarts}, 1, "$how: on_restart was called once");
			is(join('', @{ $r->{deltas} }), $LONG, "$how: the pieces after the restart add up to the reply");
		}

		# --- a stalled provider: failed by the deadline --------------------------------
		$llm->script([{ stall => 1 }]);
		$r = call(wire => $wire, stream => $stream, options => { attempt_timeout_ms => 500, max_retries => 1 });
		is($r->{state}, 'failed', "$how: a stalled provider fails");
		is($r->{error_code}, 'llm_timeout', "$how: llm_timeout");
		is(requests_made(), 2, "$how: timeouts are retried (max_retries 1: 2 requests)");

		# --- a dropped connection is a connection error (retried) ----------------------
		$llm->script([{ drop => 1 }]);
		$r = call(wire => $wire, stream => $stream, options => { max_retries => 1 });
		is($r->{error_code}, 'llm_connection', "$how: no answer at all: llm_connection");
		is(requests_made(), 2, "$how: retried");
	}
}

# --- Retry-After as an HTTP date --------------------------------------------------------

{
	my $when = POSIX::strftime('%a, %d %b %Y %H:%M:%S GMT', gmtime(time + 1));
	$llm->script([{ status => 503, retry_after => $when, times => 1 }, { text => 'back again' }]);
	my $r = call(wire => 'anthropic', options => { backoff_scale => 1 });
	is($r->{state}, 'done', 'Retry-After as an HTTP date: waited, then success') or diag($r->{raw});
	is(requests_made(), 2, '2 requests');
}

# --- the key never shows in what the caller sees ------------------------------------

{
	# The provider echoes the key in its error message (as OpenAI does).
	$llm->script([{ status => 401, error => "Incorrect API key provided: $KEY" }]);
	my $r = call(wire => 'openai');
	is($r->{error_code}, 'llm_http_401', '401 is not retried');
	like($r->{error}, qr/Incorrect API key/, 'the message is readable');
	unlike($r->{raw}, qr/\Q$KEY\E/, 'the key is masked in the outcome');
	$llm->script([{ status => 500, error => "trouble with $KEY" }]);
	$r = call(wire => 'anthropic', stream => 1);
	unlike($r->{raw}, qr/\Q$KEY\E/, 'masked after retries too');
}

# --- the outbound policy ---------------------------------------------------------------

$llm->script([{ text => 'should not be asked' }]);
for my $wire (qw(openai anthropic)) {
	my $r = call(wire => $wire, allow => '');
	is($r->{state}, 'failed', "$wire: a loopback provider is refused without the allowlist");
	is($r->{error_code}, 'llm_refused', "$wire: llm_refused");
	like($r->{error}, qr/loopback|not allowed|refused/i, "$wire: the message says why: $r->{error}");
	is(requests_made(), 0, "$wire: nothing reached the provider");
	is($r->{requests}, 1, "$wire: a refusal is not retried");
	$r = call(wire => $wire, allow => '10.0.0.0/8');
	is($r->{error_code}, 'llm_refused', "$wire: an allowlist without this address still refuses");
	$r = call(wire => $wire, allow => 'localhost, 127.0.0.0/8');
	is($r->{state}, 'done', "$wire: allowed by a CIDR");
}
{
	my $r = call(base => 'file:///etc/passwd');
	is($r->{error_code}, 'llm_refused', 'a file: URL is refused');
	$r = call(base => 'http://127.0.0.1:1/v1');
	is($r->{error_code}, 'llm_connection', 'a closed port: llm_connection');
	is($r->{requests}, 3, 'connection refused is retried');
}

# --- freeing a call aborts it at once ----------------------------------------------------

{
	$llm->script([{ text => $LONG, chunk_delay => 0.3 }]);
	my ($fh, $file) = tempfile('llm-scenario-XXXXXX', TMPDIR => 1, UNLINK => 1);
	print $fh $JSON->encode({ provider => { provider_type => 'openai_compatible', api_key => $KEY, base_url => $BASE{openai} },
		request => { model => 'm', messages => [{ type => 'human', data => { content => 'x' } }], stream => JSON::PP::true },
		allow => '127.0.0.1', free_after_deltas => 2 });
	close $fh;
	my ($status, $out) = run_command(cmd => [$DRIVER, $file], timeout => 60);
	my $r = decode_json((grep { /^\{/ } split /\n/, $out)[-1] // '{}');
	is($r->{state}, 'freed', 'the call was freed mid-stream');
	is($r->{left_on_loop}, 0, 'nothing of it is left on the loop');
}

done_testing();
