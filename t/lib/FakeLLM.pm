package FakeLLM;

# FakeLLM: an LLM provider on 127.0.0.1 for the tests, speaking both wire
# formats of pipelit-engine.md 7.2, streamed (SSE, in the real providers'
# event shapes) or not, as each request asks:
#
#   POST /v1/chat/completions   OpenAI (Authorization: Bearer KEY)
#   POST /v1/messages           Anthropic (x-api-key + anthropic-version)
#   GET  /v1/models             {"object":"list","data":[{"id":"mock-model"}]}
#
#   my $llm = FakeLLM->start;                 # or start(delay => 0.2, script => [...])
#   FakeLLM->start(workers => 256)            # a benchmark's: pre-forked processes, no fork per
#                                             # connection (at most 256 at once; a stall holds one)
#   $llm->url('/v1')                          # the base URL of an openai_compatible credential
#   $llm->url('')                             # ... of an anthropic one ({base}/v1/messages)
#   $llm->script([                            # first matching rule wins
#       { match => 'weather', tool_calls => [{ name => 'calculator', args => { expression => '2+2' } }] },
#       { match => '4', text => 'It is 4.' },
#       { text => 'default reply' },
#   ]);
#   my @r = $llm->requests;                   # every request, oldest first (below)
#
# Without a script (or when no rule matches) the answer is the original
# e2e mock's: "E2E_MOCK_RESPONSE_OK", 10 input and 5 output tokens.
#
# A rule's keys.  Which requests it takes (all must hold):
#   match => 'text'        a substring of the last message's text (a user's
#                          text or a tool result; blocks joined with "\n")
#   match_body => 'text'   a substring of the raw request body
#   wire => 'openai'|'anthropic'
#   nth => N               only the N-th request to a chat endpoint (from 1)
#   times => N             only its first N matches, then the next rule applies
# What it answers:
#   text => 'a b c'        streamed one word (with its trailing space) per event
#   chunks => ['a', 'b']   streamed exactly in these pieces (the text is their join)
#   tool_calls => [{ name, args => {...}, id? }]   (with text or not)
#   usage => { input_tokens, output_tokens }       fixed; otherwise
#                          input = ceil(characters of the request's message
#                          texts, system included, / 4), output = ceil(
#                          (characters of the text + each tool call's name
#                          and JSON arguments) / 4)
#   no_usage => 1          report no usage at all
#   stop_reason => 'length'  (OpenAI finish_reason / Anthropic stop_reason)
#   stream => 0            answer whole even when the request asks to stream
#   until_close => 1       no Content-Length nor chunks: the body ends when the
#                          connection closes (Pipelit's e2e mock; HTTP/1.0 servers)
# Faults:
#   delay => S             wait S seconds before answering (also start(delay => S))
#   chunk_delay => S       wait S seconds between stream events
#   status => 429|500|408|...  an error answer in the wire's error shape,
#                          retry_after => '2' (any text) adds Retry-After,
#                          error => 'message' sets its message
#   stall => 1             read the request and never answer
#   drop => 1              read the request and close without a byte
#   malformed => 1         200 whose body (or a stream event's data) is not JSON
#   cut => 1               the body stops half-way and the connection closes
#                          (Content-Length, or a chunked stream, unfinished)
#   truncate => 1          a stream that ends cleanly before its final event
#                          (no [DONE] / message_stop and no usage)
#   reset => 1             half the answer, then a TCP reset
#
# requests() entries: {n, method, path, target, headers => {lowercased
# name => value}, body => parsed JSON (or the raw text when it is not JSON),
# wire, stream, rule => index of the rule used or undef, status,
# reply => {text, tool_calls, usage => {input_tokens, output_tokens}}}.
#
# Each connection is served by a child of the server process (hundreds at
# once; or by one of `workers` pre-forked processes); the script, the counters and the log are files shared under
# flock.  Only 127.0.0.1 is ever bound.  Everything is killed when the
# object goes away.

use strict;
use warnings;

use parent 'LocalServer';

use Fcntl qw(:flock SEEK_SET);
use File::Temp qw(tempdir);
use JSON::PP;
use LocalServer qw(read_request respond send_all head_text);
use POSIX ();
use Socket qw(SOL_SOCKET SO_LINGER);
use Time::HiRes ();

my $JSON = JSON::PP->new->canonical->allow_nonref;

sub start {
	my ($class, %o) = @_;
	my $listen = LocalServer::listen_on($class, backlog => 1024);
	my $dir = tempdir('fake-llm-XXXXXX', TMPDIR => 1, CLEANUP => 1);
	my $self = bless { port => $listen->sockport, dir => $dir }, $class;
	$self->_write_state({ script => $o{script} // [], hits => {}, n => 0, delay => $o{delay} // 0 });
	open my $log, '>', "$dir/log.jsonl" or die "FakeLLM: $dir/log.jsonl: $!";
	close $log;
	my $workers = $o{workers} // 0;
	pipe(my $ready_r, my $ready_w) or die "FakeLLM: pipe: $!";
	$self->spawn($listen, sub { close $ready_r; serve($listen, $dir, $workers, $ready_w) });
	close $ready_w;
	# Pre-forked workers: answer only once every one of them is accepting.
	my $got = 0;
	while ($workers && $got < $workers) {
		my $n = sysread($ready_r, my $buf, $workers - $got);
		last unless $n;
		$got += $n;
	}
	close $ready_r;
	return $self;
}

# Replaces the script; the rules' use counts and the request count start over.
sub script {
	my ($self, $rules) = @_;
	$self->_update(sub { $_[0]{script} = $rules // []; $_[0]{hits} = {}; $_[0]{n} = 0 });
}

# Every answer waits this many seconds first (the benchmark's slow provider).
sub delay {
	my ($self, $seconds) = @_;
	$self->_update(sub { $_[0]{delay} = $seconds // 0 });
}

# The requests seen so far, oldest first.
sub requests { LocalServer::json_lines("$_[0]{dir}/log.jsonl", $JSON) }

sub last_request { ($_[0]->requests)[-1] }

# Requests to the chat endpoints only (what a call costs).
sub chat_requests { grep { $_->{method} eq 'POST' } $_[0]->requests }

sub clear_requests {
	my ($self) = @_;
	$self->_update(sub { $_[0]{n} = 0; $_[0]{hits} = {} });
	open my $fh, '+<', "$self->{dir}/log.jsonl" or return;
	flock($fh, LOCK_EX);
	truncate($fh, 0);
	close $fh;
}

# --- shared state: one JSON file, changed under an exclusive lock ------------

sub _write_state {
	my ($self, $state) = @_;
	open my $fh, '>', "$self->{dir}/state.json" or die "FakeLLM: state: $!";
	print $fh $JSON->encode($state);
	close $fh;
}

sub _update { my ($self, $fn) = @_; locked_state($self->{dir}, $fn) }

# Calls $fn->($state) with the state file locked and writes back what it
# leaves; returns $fn's value.
sub locked_state {
	my ($dir, $fn) = @_;
	open my $fh, '+<', "$dir/state.json" or die "FakeLLM: state: $!";
	flock($fh, LOCK_EX);
	my $text = do { local $/; <$fh> };
	my $state = $JSON->decode($text);
	my $ret = $fn->($state);
	seek($fh, 0, SEEK_SET);
	truncate($fh, 0);
	print $fh $JSON->encode($state);
	close $fh;
	return $ret;
}

# --- the server process -------------------------------------------------------

sub serve {
	my ($listen, $dir, $workers, $ready) = @_;
	return prefork($listen, $dir, $workers, $ready) if $workers;
	close $ready;
	LocalServer::serve_forked($listen, sub { handle($_[0], $dir) });
}

# $workers processes accept in turn and serve one connection at a time:
# no fork per request, so the double is not what a benchmark measures.
sub prefork {
	my ($listen, $dir, $workers, $ready) = @_;
	my $worker = sub {
		if ($ready) {
			syswrite($ready, 'r');
			close $ready;
		}
		while (1) {
			my $c = $listen->accept or next;
			eval { handle($c, $dir) };
			close $c;
		}
	};
	my %pids;
	for (1 .. $workers) {
		my $pid = fork // next;
		if ($pid == 0) { $worker->(); POSIX::_exit(0) }
		$pids{$pid} = 1;
	}
	close $ready;
	undef $ready;
	while (1) {
		my $gone = waitpid(-1, 0);
		next unless $gone > 0 && delete $pids{$gone};
		my $pid = fork // next;
		if ($pid == 0) { $worker->(); POSIX::_exit(0) }
		$pids{$pid} = 1;
	}
}

# Closes with a TCP reset instead of a FIN.
sub reset_connection {
	my ($c) = @_;
	setsockopt($c, SOL_SOCKET, SO_LINGER, pack('II', 1, 0));
	close $c;
}

# The text of one message of either wire: a string, or its text blocks
# and tool results joined with "\n".
sub message_text {
	my ($m) = @_;
	return '' unless ref $m eq 'HASH';
	return content_text($m->{content});
}

sub content_text {
	my ($c) = @_;
	return '' unless defined $c;
	return "$c" unless ref $c;
	return '' unless ref $c eq 'ARRAY';
	my @parts;
	for my $b (@$c) {
		next unless ref $b eq 'HASH';
		if (($b->{type} // '') eq 'text') {
			push @parts, $b->{text} // '';
		} elsif (($b->{type} // '') eq 'tool_result') {
			push @parts, content_text($b->{content});
		}
	}
	return join("\n", @parts);
}

sub ceil4 { my ($n) = @_; return int(($n + 3) / 4) }

sub request_chars {
	my ($body) = @_;
	my $n = length(content_text($body->{system}));
	$n += length(message_text($_)) for @{ $body->{messages} // [] };
	return $n;
}

sub pick_rule {
	my ($state, $wire, $last, $raw) = @_;
	my $rules = $state->{script} // [];
	for my $i (0 .. $#$rules) {
		my $r = $rules->[$i];
		next if defined $r->{wire} && $r->{wire} ne $wire;
		next if defined $r->{match} && index($last, $r->{match}) < 0;
		next if defined $r->{match_body} && index($raw, $r->{match_body}) < 0;
		next if defined $r->{nth} && $r->{nth} != $state->{n};
		next if defined $r->{times} && ($state->{hits}{$i} // 0) >= $r->{times};
		$state->{hits}{$i}++;
		return ($i, $r);
	}
	return (undef, undef);
}

# What a rule answers: the text, its stream pieces, the tool calls and usage.
sub plan_reply {
	my ($rule, $body, $wire, $n) = @_;
	my %p;
	if (!$rule) {
		%p = (text => 'E2E_MOCK_RESPONSE_OK', chunks => ['E2E_MOCK_', 'RESPONSE_OK'], tool_calls => [],
			usage => { input_tokens => 10, output_tokens => 5 }, default => 1);
	} else {
		my @chunks = $rule->{chunks} ? @{ $rule->{chunks} }
			: defined $rule->{text} ? ($rule->{text} =~ /(\s*\S+\s*)/g) : ();
		@chunks = ($rule->{text}) if !@chunks && defined $rule->{text} && length $rule->{text};
		$p{chunks} = \@chunks;
		$p{text} = join('', @chunks);
		my $i = 0;
		$p{tool_calls} = [map {
			$i++;
			{ id => $_->{id} // ($wire eq 'anthropic' ? "toolu_${n}_$i" : "call_${n}_$i"),
			  name => $_->{name}, args => $_->{args} // {} }
		} @{ $rule->{tool_calls} // [] }];
		if ($rule->{usage}) {
			$p{usage} = { input_tokens => $rule->{usage}{input_tokens} // 0,
				output_tokens => $rule->{usage}{output_tokens} // 0 };
		} else {
			my $out = length $p{text};
			$out += length($_->{name}) + length($JSON->encode($_->{args})) for @{ $p{tool_calls} };
			$p{usage} = { input_tokens => ceil4(request_chars($body)), output_tokens => ceil4($out) };
		}
		$p{usage} = undef if $rule->{no_usage};
	}
	my $tools = @{ $p{tool_calls} } > 0;
	$p{stop} = $rule && $rule->{stop_reason} ? $rule->{stop_reason}
		: $wire eq 'anthropic' ? ($tools ? 'tool_use' : 'end_turn') : ($tools ? 'tool_calls' : 'stop');
	return \%p;
}

sub handle {
	my ($c, $dir) = @_;
	binmode $c;
	my $req = read_request($c) or return;
	my $h = $req->{headers};
	my $route = "$req->{method} $req->{path}";
	my $wire = $route eq 'POST /v1/messages' ? 'anthropic' : 'openai';
	my $chat = $route eq 'POST /v1/messages' || $route eq 'POST /v1/chat/completions';
	my $body = eval { $JSON->decode($req->{body}) };
	$body = undef unless ref $body eq 'HASH';
	my $stream = $chat && $body && $body->{stream} ? 1 : 0;

	my ($idx, $rule, $plan, $status, $delay, $n);
	locked_state($dir, sub {
		my ($st) = @_;
		$delay = $st->{delay} // 0;
		return unless $chat && $body;
		$n = ++$st->{n};
		my $last = message_text(($body->{messages} // [])->[-1]);
		($idx, $rule) = pick_rule($st, $wire, $last, $req->{body});
	});
	$stream = 0 if $rule && defined $rule->{stream} && !$rule->{stream};

	# Who may ask: the key in its own header, as the providers require.
	my $key = $wire eq 'anthropic' ? $h->{'x-api-key'}
		: (($h->{authorization} // '') =~ /^Bearer (.+)$/ ? $1 : undef);
	my @answer;
	if (!$chat && $route ne 'GET /v1/models') {
		@answer = (404, error_body($wire, 'not_found_error', "no route $route"));
	} elsif (!defined $key || $key eq '') {
		@answer = (401, error_body($wire, 'authentication_error', 'no API key'));
	} elsif ($wire eq 'anthropic' && ($h->{'anthropic-version'} // '') eq '') {
		@answer = (400, error_body($wire, 'invalid_request_error', 'anthropic-version header is required'));
	} elsif ($chat && !$body) {
		@answer = (400, error_body($wire, 'invalid_request_error', 'the body is not a JSON object'));
	} elsif ($chat && $wire eq 'anthropic' && !$body->{max_tokens}) {
		@answer = (400, error_body($wire, 'invalid_request_error', 'max_tokens: Field required'));
	} elsif ($chat && ref $body->{messages} ne 'ARRAY') {
		@answer = (400, error_body($wire, 'invalid_request_error', 'messages: Field required'));
	} elsif ($rule && $rule->{status}) {
		my %types = (400 => 'invalid_request_error', 401 => 'authentication_error', 404 => 'not_found_error',
			408 => 'timeout_error', 429 => 'rate_limit_error', 529 => 'overloaded_error');
		@answer = ($rule->{status}, error_body($wire, $types{ $rule->{status} } // 'api_error',
			$rule->{error} // "scripted failure $rule->{status}"));
	}
	$status = @answer ? $answer[0] : 200;
	$plan = plan_reply($rule, $body, $wire, $n) if $chat && $status == 200;

	my $logged = { n => $n, method => $req->{method}, path => $req->{path}, target => $req->{target},
		headers => $h, body => $body // $req->{body}, wire => $chat ? $wire : undef, stream => $stream,
		rule => $idx, status => $status };
	$logged->{reply} = { text => $plan->{text}, tool_calls => $plan->{tool_calls}, usage => $plan->{usage} }
		if $plan;
	open my $log, '>>', "$dir/log.jsonl" or die "FakeLLM: log: $!";
	flock($log, LOCK_EX);
	print $log $JSON->encode($logged) . "\n";
	close $log;

	$delay = $rule->{delay} if $rule && defined $rule->{delay};
	Time::HiRes::sleep($delay) if $delay > 0;
	if ($rule && $rule->{stall}) {
		sleep 600;
		return;
	}
	return if $rule && $rule->{drop};
	if (@answer) {
		my %extra;
		$extra{'Retry-After'} = $rule->{retry_after} if $rule && defined $rule->{retry_after};
		return respond($c, $answer[0], $answer[1], %extra);
	}
	if ($route eq 'GET /v1/models') {
		return respond($c, 200, $JSON->encode({ object => 'list',
			data => [{ id => 'mock-model', object => 'model', type => 'model', display_name => 'mock-model' }] }));
	}
	my $model = $body->{model} // 'mock-model';
	return $stream ? send_stream($c, $wire, $plan, $rule // {}, $body, $model, $n)
		: send_whole($c, $wire, $plan, $rule // {}, $model, $n);
}

sub error_body {
	my ($wire, $type, $message) = @_;
	return $JSON->encode({ type => 'error', error => { type => $type, message => $message } })
		if $wire eq 'anthropic';
	return $JSON->encode({ error => { message => $message, type => $type, param => undef, code => undef } });
}

sub whole_body {
	my ($wire, $p, $model, $n) = @_;
	my $u = $p->{usage};
	if ($wire eq 'anthropic') {
		my @content;
		push @content, { type => 'text', text => $p->{text} } if length $p->{text} || !@{ $p->{tool_calls} };
		push @content, { type => 'tool_use', id => $_->{id}, name => $_->{name}, input => $_->{args} }
			for @{ $p->{tool_calls} };
		return $JSON->encode({ id => $p->{default} ? 'msg_mock_e2e_test_response' : "msg_fake_$n",
			type => 'message', role => 'assistant', content => \@content, model => $model,
			stop_reason => $p->{stop}, stop_sequence => undef,
			($u ? (usage => { input_tokens => $u->{input_tokens}, output_tokens => $u->{output_tokens} }) : ()) });
	}
	my %msg = (role => 'assistant', content => (length $p->{text} || !@{ $p->{tool_calls} }) ? $p->{text} : undef);
	$msg{tool_calls} = [map { { id => $_->{id}, type => 'function',
		function => { name => $_->{name}, arguments => $JSON->encode($_->{args}) } } } @{ $p->{tool_calls} }]
		if @{ $p->{tool_calls} };
	return $JSON->encode({ id => "chatcmpl-fake-$n", object => 'chat.completion', created => time, model => $model,
		choices => [{ index => 0, message => \%msg, finish_reason => $p->{stop} }],
		($u ? (usage => { prompt_tokens => $u->{input_tokens}, completion_tokens => $u->{output_tokens},
			total_tokens => $u->{input_tokens} + $u->{output_tokens} }) : ()) });
}

sub send_whole {
	my ($c, $wire, $p, $rule, $model, $n) = @_;
	if ($rule->{malformed}) {
		return respond($c, 200, '{"id": "chatcmpl-broken", "choices": [{"message": {"content": "half');
	}
	my $body = whole_body($wire, $p, $model, $n);
	if ($rule->{cut} || $rule->{reset}) {
		send_all($c, head_text(200, 'Content-Type' => 'application/json', 'Content-Length' => length($body),
			Connection => 'close') . substr($body, 0, int(length($body) / 2)));
		return reset_connection($c) if $rule->{reset};
		return;
	}
	if ($rule->{until_close}) {
		# As Pipelit's e2e mock answered: no Content-Length, the body ends at the close.
		return send_all($c, head_text(200, 'Content-Type' => 'application/json', Connection => 'close') . $body);
	}
	return respond($c, 200, $body);
}

# The stream's events as [event name or undef, data text]; the ones marked
# final are left out of a truncated stream.
sub stream_events {
	my ($wire, $p, $body, $model, $n) = @_;
	my (@ev, @final);
	my $u = $p->{usage};
	my @args = map { my $j = $JSON->encode($_->{args}); my $h = int(length($j) / 2);
		[substr($j, 0, $h), substr($j, $h)] } @{ $p->{tool_calls} };
	if ($wire eq 'anthropic') {
		my $ev = sub { push @ev, [$_[0], $JSON->encode($_[1])] };
		$ev->('message_start', { type => 'message_start', message => { id => "msg_fake_$n", type => 'message',
			role => 'assistant', content => [], model => $model, stop_reason => undef, stop_sequence => undef,
			usage => { input_tokens => $u ? $u->{input_tokens} : 0, output_tokens => 1 } } });
		my $i = 0;
		if (@{ $p->{chunks} } || !@{ $p->{tool_calls} }) {
			$ev->('content_block_start', { type => 'content_block_start', index => $i,
				content_block => { type => 'text', text => '' } });
			$ev->('ping', { type => 'ping' }) if $i == 0;
			$ev->('content_block_delta', { type => 'content_block_delta', index => $i,
				delta => { type => 'text_delta', text => $_ } }) for @{ $p->{chunks} };
			$ev->('content_block_stop', { type => 'content_block_stop', index => $i });
			$i++;
		}
		for my $k (0 .. $#{ $p->{tool_calls} }) {
			my $t = $p->{tool_calls}[$k];
			$ev->('content_block_start', { type => 'content_block_start', index => $i,
				content_block => { type => 'tool_use', id => $t->{id}, name => $t->{name}, input => {} } });
			$ev->('content_block_delta', { type => 'content_block_delta', index => $i,
				delta => { type => 'input_json_delta', partial_json => $_ } }) for @{ $args[$k] };
			$ev->('content_block_stop', { type => 'content_block_stop', index => $i });
			$i++;
		}
		@final = (['message_delta', $JSON->encode({ type => 'message_delta',
				delta => { stop_reason => $p->{stop}, stop_sequence => undef },
				($u ? (usage => { output_tokens => $u->{output_tokens} }) : ()) })],
			['message_stop', $JSON->encode({ type => 'message_stop' })]);
		return (\@ev, \@final);
	}
	my $chunk = sub {
		my ($delta, $finish, %extra) = @_;
		push @ev, [undef, $JSON->encode({ id => "chatcmpl-fake-$n", object => 'chat.completion.chunk',
			created => time, model => $model, %extra,
			choices => [{ index => 0, delta => $delta, finish_reason => $finish }] })];
	};
	$chunk->({ role => 'assistant', content => '' }, undef);
	$chunk->({ content => $_ }, undef) for @{ $p->{chunks} };
	for my $k (0 .. $#{ $p->{tool_calls} }) {
		my $t = $p->{tool_calls}[$k];
		$chunk->({ tool_calls => [{ index => $k, id => $t->{id}, type => 'function',
			function => { name => $t->{name}, arguments => '' } }] }, undef);
		$chunk->({ tool_calls => [{ index => $k, function => { arguments => $_ } }] }, undef) for @{ $args[$k] };
	}
	my @tail;
	push @tail, [undef, $JSON->encode({ id => "chatcmpl-fake-$n", object => 'chat.completion.chunk',
		created => time, model => $model, choices => [{ index => 0, delta => {}, finish_reason => $p->{stop} }] })];
	if ($u && ref $body->{stream_options} eq 'HASH' && $body->{stream_options}{include_usage}) {
		push @tail, [undef, $JSON->encode({ id => "chatcmpl-fake-$n", object => 'chat.completion.chunk',
			created => time, model => $model, choices => [],
			usage => { prompt_tokens => $u->{input_tokens}, completion_tokens => $u->{output_tokens},
				total_tokens => $u->{input_tokens} + $u->{output_tokens} } })];
	}
	push @tail, [undef, '[DONE]'];
	return (\@ev, \@tail);
}

sub sse_text {
	my ($e) = @_;
	return (defined $e->[0] ? "event: $e->[0]\n" : '') . "data: $e->[1]\n\n";
}

sub send_chunk {
	my ($c, $data) = @_;
	return send_all($c, sprintf("%x\r\n%s\r\n", length($data), $data));
}

sub send_stream {
	my ($c, $wire, $p, $rule, $body, $model, $n) = @_;
	my ($events, $final) = stream_events($wire, $p, $body, $model, $n);
	my $chunked = !$rule->{until_close};
	send_all($c, head_text(200, 'Content-Type' => 'text/event-stream; charset=utf-8', 'Cache-Control' => 'no-cache',
		($chunked ? ('Transfer-Encoding' => 'chunked') : ()), Connection => 'close')) or return;
	my @all = (@$events, @$final);
	if ($rule->{malformed}) {
		splice(@all, int(@all / 2), 0, [$wire eq 'anthropic' ? 'content_block_delta' : undef, '{"type": oops']);
	}
	my $stop_at = scalar @all;
	$stop_at = int(@all / 2) if $rule->{cut} || $rule->{reset};
	$stop_at = scalar @$events if $rule->{truncate};
	for my $i (0 .. $stop_at - 1) {
		Time::HiRes::sleep($rule->{chunk_delay}) if $rule->{chunk_delay} && $i > 0;
		($chunked ? send_chunk($c, sse_text($all[$i])) : send_all($c, sse_text($all[$i]))) or return;
	}
	return reset_connection($c) if $rule->{reset};
	return if $rule->{cut} || !$chunked;
	send_all($c, "0\r\n\r\n");
}

1;
