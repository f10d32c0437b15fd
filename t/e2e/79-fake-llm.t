#!/usr/bin/perl
# The LLM test double (t/lib/FakeLLM.pm) answers as the providers do: both
# wire formats, whole and streamed (the events add up to the reply, tool
# calls and usage in the real shapes), scripted rules (match, times, nth),
# every injected fault (429 with Retry-After, 500, malformed, cut,
# truncated, reset, dropped), the request log, and 200 connections at once.
use strict;
use warnings;

use IO::Select;
use IO::Socket::INET;
use JSON::PP;
use Test::More;
use FakeLLM;

my $JSON = JSON::PP->new->canonical;
my $llm = FakeLLM->start;

# One raw HTTP/1.1 request; returns (status, headers, body bytes as sent,
# how the connection ended: 'eof' or 'error').
sub raw {
	my ($method, $path, $headers, $body) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $llm->port, Proto => 'tcp')
		or die "connect: $!";
	$body //= '';
	my $req = "$method $path HTTP/1.1\r\nHost: 127.0.0.1\r\n";
	$req .= "$_: $headers->{$_}\r\n" for sort keys %$headers;
	$req .= "Content-Length: " . length($body) . "\r\n\r\n$body";
	print $s $req;
	my ($data, $end) = ('', 'eof');
	while (1) {
		my $n = sysread($s, my $buf, 65536);
		if (!defined $n) { $end = 'error'; last }
		last if $n == 0;
		$data .= $buf;
	}
	close $s;
	my ($head, $rest) = split /\r\n\r\n/, $data, 2;
	return (0, {}, '', $end) unless defined $head;
	my ($status) = $head =~ m{^HTTP/1\.1 (\d+)};
	my %h = map { my ($k, $v) = /^([^:]+):\s*(.*)$/; (lc $k => $v) } grep { /:/ } split /\r\n/, $head;
	return ($status, \%h, $rest // '', $end);
}

# Undoes chunked encoding; the second value says whether the last chunk came.
sub dechunk {
	my ($b) = @_;
	my $out = '';
	while ($b =~ s/^([0-9a-f]+)\r\n//) {
		my $len = hex $1;
		return ($out, 1) if $len == 0;
		$out .= substr($b, 0, $len, '');
		$b =~ s/^\r\n//;
	}
	return ($out, 0);
}

sub sse_events {
	my ($text) = @_;
	my @ev;
	for my $block (split /\n\n/, $text) {
		my ($name) = $block =~ /^event: (.*)$/m;
		my ($data) = $block =~ /^data: (.*)$/m;
		push @ev, { event => $name, data => $data } if defined $data;
	}
	return @ev;
}

my %AUTH = (openai => { Authorization => 'Bearer sk-test-1', 'Content-Type' => 'application/json' },
	anthropic => { 'x-api-key' => 'sk-ant-test-1', 'anthropic-version' => '2023-06-01',
		'Content-Type' => 'application/json' });
my %PATH = (openai => '/v1/chat/completions', anthropic => '/v1/messages');

sub ask {
	my ($wire, $text, %o) = @_;
	my $body = { model => 'mock-model', max_tokens => 100,
		messages => [{ role => 'user', content => $text }], %{ $o{extra} // {} } };
	$body->{system} = 'Be brief.' if $wire eq 'anthropic';
	$body->{stream} = JSON::PP::true if $o{stream};
	$body->{stream_options} = { include_usage => JSON::PP::true } if $o{stream} && $wire eq 'openai';
	return raw('POST', $PATH{$wire}, $AUTH{$wire}, $JSON->encode($body));
}

# The reply a streamed answer carries: text, tool calls (name => args), usage, finished.
sub read_stream {
	my ($wire, $body) = @_;
	my ($text, $complete) = dechunk($body);
	my ($reply, %tools, %usage, $done, @pieces) = ('');
	for my $e (sse_events($text)) {
		if ($e->{data} eq '[DONE]') { $done = 1; next }
		my $d = eval { decode_json($e->{data}) } or return { malformed => 1 };
		if ($wire eq 'openai') {
			if ($d->{usage}) { %usage = (in => $d->{usage}{prompt_tokens}, out => $d->{usage}{completion_tokens}) }
			for my $c (@{ $d->{choices} }) {
				if (defined $c->{delta}{content} && length $c->{delta}{content}) {
					$reply .= $c->{delta}{content};
					push @pieces, $c->{delta}{content};
				}
				for my $t (@{ $c->{delta}{tool_calls} // [] }) {
					$tools{ $t->{index} }{name} = $t->{function}{name} if defined $t->{function}{name};
					$tools{ $t->{index} }{args} .= $t->{function}{arguments} // '';
				}
			}
		} else {
			is($e->{event}, $d->{type}, "anthropic event name $e->{event} matches its type") if $e->{event} ne $d->{type};
			$usage{in} = $d->{message}{usage}{input_tokens} if $d->{type} eq 'message_start';
			$usage{out} = $d->{usage}{output_tokens} if $d->{type} eq 'message_delta';
			$done = 1 if $d->{type} eq 'message_stop';
			$tools{ $d->{index} }{name} = $d->{content_block}{name}
				if $d->{type} eq 'content_block_start' && $d->{content_block}{type} eq 'tool_use';
			if ($d->{type} eq 'content_block_delta') {
				if ($d->{delta}{type} eq 'text_delta') {
					$reply .= $d->{delta}{text};
					push @pieces, $d->{delta}{text};
				}
				$tools{ $d->{index} }{args} .= $d->{delta}{partial_json} if $d->{delta}{type} eq 'input_json_delta';
			}
		}
	}
	return { text => $reply, pieces => \@pieces, complete => $complete, done => $done ? 1 : 0, usage => \%usage,
		tools => [map { { name => $tools{$_}{name}, args => decode_json($tools{$_}{args}) } } sort keys %tools] };
}

# --- the default answer (the original e2e mock's) --------------------------------

{
	my ($st, $h, $body) = ask('anthropic', 'hello');
	is($st, 200, 'anthropic default: 200');
	my $j = decode_json($body);
	is($j->{id}, 'msg_mock_e2e_test_response', 'the original mock id');
	is_deeply($j->{content}, [{ type => 'text', text => 'E2E_MOCK_RESPONSE_OK' }], 'the original mock text');
	is_deeply($j->{usage}, { input_tokens => 10, output_tokens => 5 }, 'the original mock usage');
	($st, $h, $body) = ask('openai', 'hello');
	$j = decode_json($body);
	is($j->{choices}[0]{message}{content}, 'E2E_MOCK_RESPONSE_OK', 'openai default text');
	is($j->{choices}[0]{finish_reason}, 'stop', 'openai default finish_reason');
	is_deeply($j->{usage}, { prompt_tokens => 10, completion_tokens => 5, total_tokens => 15 }, 'openai default usage');
	($st, $h, $body) = raw('GET', '/v1/models', $AUTH{openai});
	is_deeply([map { $_->{id} } @{ decode_json($body)->{data} }], ['mock-model'], 'GET /v1/models');
	($st) = raw('POST', '/v1/chat/completions', { 'Content-Type' => 'application/json' }, '{"messages":[]}');
	is($st, 401, 'no key: 401');
	($st) = raw('POST', '/v1/messages', { 'x-api-key' => 'k' }, '{"max_tokens":5,"messages":[]}');
	is($st, 400, 'anthropic without anthropic-version: 400');
}

# --- scripted text and tool calls, both wires, whole and streamed --------------

$llm->script([
	{ match => 'weather', tool_calls => [{ name => 'calculator', args => { expression => '2+2' } }] },
	{ match => 'both', text => 'Let me compute.', tool_calls => [{ name => 'get_datetime', args => {} },
		{ name => 'calculator', args => { expression => '1+1' } }] },
	{ match => 'usage', text => 'fixed', usage => { input_tokens => 123, output_tokens => 45 } },
	{ text => 'The answer is four, said the model.' },
]);
for my $wire (qw(openai anthropic)) {
	for my $stream (0, 1) {
		my $how = "$wire " . ($stream ? 'streamed' : 'whole');
		$llm->clear_requests;
		my ($st, $h, $body) = ask($wire, 'what is 2+2?', stream => $stream);
		is($st, 200, "$how text: 200");
		my $r;
		if ($stream) {
			like($h->{'content-type'}, qr{^text/event-stream}, "$how: an event stream");
			$r = read_stream($wire, $body);
			ok($r->{complete} && $r->{done}, "$how: the stream ends with its final event");
			ok(@{ $r->{pieces} } > 3, "$how: the text comes in several events");
		} else {
			my $j = decode_json($body);
			$r = { text => $wire eq 'openai' ? $j->{choices}[0]{message}{content} : $j->{content}[0]{text},
				usage => $wire eq 'openai' ? { in => $j->{usage}{prompt_tokens}, out => $j->{usage}{completion_tokens} }
					: { in => $j->{usage}{input_tokens}, out => $j->{usage}{output_tokens} } };
		}
		is($r->{text}, 'The answer is four, said the model.', "$how: the scripted text");
		my $req = $llm->last_request;
		is($req->{rule}, 3, "$how: the log names the rule used");
		is($req->{stream}, $stream, "$how: the log says whether it streamed");
		my $in_chars = length('what is 2+2?') + ($wire eq 'anthropic' ? length('Be brief.') : 0);
		is_deeply($r->{usage}, { in => int(($in_chars + 3) / 4), out => int((35 + 3) / 4) },
			"$how: usage from the characters in and out");
		is_deeply($req->{reply}{usage}, { input_tokens => $r->{usage}{in}, output_tokens => $r->{usage}{out} },
			"$how: the log holds the usage answered");

		($st, $h, $body) = ask($wire, 'the weather, please', stream => $stream);
		my @tools;
		my $stop;
		if ($stream) {
			$r = read_stream($wire, $body);
			@tools = @{ $r->{tools} };
		} else {
			my $j = decode_json($body);
			if ($wire eq 'openai') {
				@tools = map { { name => $_->{function}{name}, args => decode_json($_->{function}{arguments}) } }
					@{ $j->{choices}[0]{message}{tool_calls} };
				$stop = $j->{choices}[0]{finish_reason};
			} else {
				@tools = map { { name => $_->{name}, args => $_->{input} } } grep { $_->{type} eq 'tool_use' } @{ $j->{content} };
				$stop = $j->{stop_reason};
			}
			is($stop, $wire eq 'openai' ? 'tool_calls' : 'tool_use', "$how: the tool-call stop reason");
		}
		is_deeply(\@tools, [{ name => 'calculator', args => { expression => '2+2' } }], "$how: a tool call");

		($st, $h, $body) = ask($wire, 'both at once', stream => $stream);
		if ($stream) {
			$r = read_stream($wire, $body);
			is($r->{text}, 'Let me compute.', "$how: text beside tool calls");
			is_deeply([map { $_->{name} } @{ $r->{tools} }], ['get_datetime', 'calculator'], "$how: two tool calls in order");
		}
		($st, $h, $body) = ask($wire, 'fixed usage', stream => $stream);
		is_deeply($llm->last_request->{reply}{usage}, { input_tokens => 123, output_tokens => 45 }, "$how: fixed usage");
	}
}

# A tool result is the last message: it is what a rule matches.
$llm->script([{ match => 'RESULT:4', text => 'It is 4.' }, { text => 'no' }]);
{
	my (undef, undef, $body) = raw('POST', '/v1/messages', $AUTH{anthropic}, $JSON->encode({ max_tokens => 10,
		messages => [{ role => 'user', content => 'q' },
			{ role => 'assistant', content => [{ type => 'tool_use', id => 't1', name => 'calculator', input => {} }] },
			{ role => 'user', content => [{ type => 'tool_result', tool_use_id => 't1', content => 'RESULT:4' }] }] }));
	is(decode_json($body)->{content}[0]{text}, 'It is 4.', 'anthropic tool_result matched');
	(undef, undef, $body) = raw('POST', '/v1/chat/completions', $AUTH{openai}, $JSON->encode({
		messages => [{ role => 'user', content => 'q' }, { role => 'tool', tool_call_id => 'c1', content => 'RESULT:4' }] }));
	is(decode_json($body)->{choices}[0]{message}{content}, 'It is 4.', 'openai tool message matched');
}

# --- faults -----------------------------------------------------------------------

$llm->script([{ status => 429, retry_after => '3', times => 2 }, { text => 'after the storm' }]);
for my $i (1, 2) {
	my ($st, $h, $body) = ask('openai', 'x');
	is($st, 429, "429 number $i");
	is($h->{'retry-after'}, '3', "429 number $i has Retry-After");
	is(decode_json($body)->{error}{type}, 'rate_limit_error', "429 number $i in OpenAI's error shape");
}
{
	my ($st, $h, $body) = ask('openai', 'x');
	is($st, 200, 'times => 2: the third request passes');
	is(decode_json($body)->{choices}[0]{message}{content}, 'after the storm', 'the next rule answers');
}
$llm->script([{ nth => 2, status => 500 }, { text => 'fine' }]);
{
	my @st = map { (ask('anthropic', 'x'))[0] } 1 .. 3;
	is_deeply(\@st, [200, 500, 200], 'nth => 2 fails only the second request');
}
$llm->script([{ status => 500 }]);
{
	my ($st, $h, $body) = ask('anthropic', 'x');
	is($st, 500, 'status => 500 answers 500');
	is(decode_json($body)->{type}, 'error', "500 in Anthropic's error shape");
}
$llm->script([{ malformed => 1 }]);
for my $wire (qw(openai anthropic)) {
	my ($st, $h, $body) = ask($wire, 'x');
	is($st, 200, "$wire malformed: 200");
	ok(!eval { decode_json($body); 1 }, "$wire malformed: the body is not JSON");
	($st, $h, $body) = ask($wire, 'x', stream => 1);
	ok(read_stream($wire, $body)->{malformed}, "$wire malformed stream: an event that is not JSON");
}
$llm->script([{ cut => 1, text => 'a b c d e f g h' }]);
for my $wire (qw(openai anthropic)) {
	my ($st, $h, $body) = ask($wire, 'x');
	ok(length($body) < $h->{'content-length'}, "$wire cut: fewer bytes than Content-Length");
	($st, $h, $body) = ask($wire, 'x', stream => 1);
	my $r = read_stream($wire, $body);
	ok(!$r->{complete} && !$r->{done}, "$wire cut stream: no last chunk, no final event");
}
$llm->script([{ truncate => 1, text => 'a b c d' }]);
for my $wire (qw(openai anthropic)) {
	my ($st, $h, $body) = ask($wire, 'x', stream => 1);
	my $r = read_stream($wire, $body);
	ok($r->{complete} && !$r->{done}, "$wire truncated stream: a clean end without the final event");
	is($r->{text}, 'a b c d', "$wire truncated stream: the text came");
}
$llm->script([{ drop => 1 }]);
{
	my ($st, $h, $body) = ask('openai', 'x');
	is($st, 0, 'drop: no answer at all');
}
$llm->script([{ reset => 1, text => 'a b c d e f g h i j' }]);
{
	my ($st, $h, $body, $end) = ask('openai', 'x', stream => 1);
	ok(!read_stream('openai', $body)->{complete}, 'reset: the stream stops half-way');
}
$llm->script([{ until_close => 1, text => 'read to the end' }]);
for my $wire (qw(openai anthropic)) {
	my ($st, $h, $body) = ask($wire, 'x');
	ok(!exists $h->{'content-length'} && !exists $h->{'transfer-encoding'}, "$wire until_close: no length, no chunks");
	like($body, qr/read to the end/, "$wire until_close: the whole answer up to the close");
	($st, $h, $body) = ask($wire, 'x', stream => 1);
	ok(!exists $h->{'transfer-encoding'}, "$wire until_close stream: not chunked");
	my @ev = sse_events($body);
	ok(@ev > 3 && ($ev[-1]{data} eq '[DONE]' || $ev[-1]{data} =~ /message_stop/), "$wire until_close stream: every event, up to the final one");
}
$llm->script([{ stall => 1 }]);
{
	# A stalled provider accepts, reads the request and says nothing.
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $llm->port, Proto => 'tcp') or die;
	syswrite($s, "POST /v1/chat/completions HTTP/1.1\r\nAuthorization: Bearer k\r\nContent-Length: 16\r\n\r\n{\"messages\":[]}");
	my $sel = IO::Select->new($s);
	ok(!$sel->can_read(1), 'stall: nothing comes back');
	close $s;
}
$llm->script([{ stream => 0, text => 'whole anyway' }]);
{
	my ($st, $h, $body) = ask('openai', 'x', stream => 1);
	is(decode_json($body)->{choices}[0]{message}{content}, 'whole anyway', 'stream => 0 answers whole');
}

# --- the log ------------------------------------------------------------------------

$llm->script([]);
$llm->clear_requests;
{
	ask('anthropic', 'logged', extra => { tools => [{ name => 'calculator', input_schema => { type => 'object' } }] });
	my @r = $llm->requests;
	is(scalar @r, 1, 'clear_requests empties the log');
	is($r[0]{headers}{'x-api-key'}, 'sk-ant-test-1', 'headers are logged lower-cased');
	is($r[0]{body}{system}, 'Be brief.', 'the parsed body is logged');
	is($r[0]{body}{tools}[0]{name}, 'calculator', 'the tools sent are logged');
	is($r[0]{n}, 1, 'requests are numbered from 1 after clear_requests');
}

# --- 200 connections at once, each answered after 200 ms ------------------------

$llm->clear_requests;
$llm->delay(0.2);
{
	# Every request is sent before any answer is read: all 200 are open at once.
	my @socks;
	for my $i (1 .. 200) {
		my $wire = $i % 2 ? 'openai' : 'anthropic';
		my $body = $JSON->encode({ model => 'm', max_tokens => 10, messages => [{ role => 'user', content => "client $i" }] });
		my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $llm->port, Proto => 'tcp') or last;
		my $req = "POST $PATH{$wire} HTTP/1.1\r\nHost: 127.0.0.1\r\n";
		$req .= "$_: $AUTH{$wire}{$_}\r\n" for sort keys %{ $AUTH{$wire} };
		syswrite($s, $req . "Content-Length: " . length($body) . "\r\n\r\n$body");
		push @socks, $s;
	}
	my $ok = 0;
	for my $s (@socks) {
		my $data = '';
		while (sysread($s, my $buf, 65536)) { $data .= $buf }
		$ok++ if $data =~ m{^HTTP/1\.1 200 };
		close $s;
	}
	is($ok, 200, '200 concurrent requests all answered 200');
	is(scalar($llm->chat_requests), 200, 'and logged');
}
$llm->delay(0);

# Pre-forked workers (a benchmark's double) answer the same way.
{
	my $pre = FakeLLM->start(workers => 4, script => [{ text => 'from a worker' }]);
	my @got;
	for (1 .. 6) {
		my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $pre->port, Proto => 'tcp') or die;
		my $body = '{"messages":[{"role":"user","content":"x"}]}';
		syswrite($s, "POST /v1/chat/completions HTTP/1.1\r\nAuthorization: Bearer k\r\nContent-Length: "
			. length($body) . "\r\n\r\n$body");
		my $data = '';
		while (sysread($s, my $buf, 65536)) { $data .= $buf }
		push @got, $data =~ /from a worker/ ? 1 : 0;
	}
	is_deeply(\@got, [(1) x 6], 'workers => 4: six requests answered in turn');
	is(scalar($pre->chat_requests), 6, 'and logged');
}

done_testing();
