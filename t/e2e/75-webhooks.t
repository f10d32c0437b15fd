# Webhooks: /api/v1/webhooks/<path> starts the workflow of the
# trigger_webhook node with that path.  Every status a caller can get
# (202, 200, 401, 404, 405, 413, 422, 429), the three signature schemes,
# a responder's kept targets after every kind of change,
# repeated deliveries, the trigger payload, asynchronous and synchronous
# mode (its result, its timeout), and 200 synchronous callers waiting on a
# slow workflow while the rest of the API keeps answering.  Both backends.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use Digest::SHA qw(hmac_sha256_hex);
use IO::Socket::INET;
use IO::Select;
use PipelitTest;
use PipelitAuth;
use PipelitEngine;

need_nginx();

my $NCHAN = -f '/usr/lib/nginx/modules/ngx_nchan_module.so';

sub hook {
	my ($path, %cfg) = @_;
	return { node_id => 'hook', component_type => 'trigger_webhook',
		 config => { extra_config => { path => $path, %cfg } } };
}
sub reply { my ($id, $msg) = @_; return { node_id => $id, component_type => 'reply_chat', config => { extra_config => { message => $msg } } } }
sub wait_node { my ($s) = @_; return { node_id => 'w', component_type => 'wait', config => { extra_config => { duration => $s, unit => 'seconds' } } } }

# A workflow: webhook -> [wait] -> reply.
sub webhook_workflow {
	my ($t, $tok, $slug, $path, $cfg, $wait, $message) = @_;
	my @nodes = (hook($path, %{ $cfg // {} }), reply('r', $message // 'got {{ trigger.text }}'));
	my @edges = (['hook', 'r']);
	if ($wait) {
		push @nodes, wait_node($wait);
		@edges = (['hook', 'w'], ['w', 'r']);
	}
	return build_workflow($t, $tok, $slug, \@nodes, \@edges);
}

sub deliver {
	my ($t, $method, $path, $body, $headers) = @_;
	my $res = $t->request($method, "/api/v1/webhooks/$path",
		{ content => $body // '', headers => { 'Content-Type' => 'application/json', %{ $headers // {} } } });
	return ($res, $t->json($res));
}

sub executions_of {
	my ($t, $slug) = @_;
	return $t->db_query("SELECT count(*) FROM workflow_executions e JOIN workflows w ON w.id = e.workflow_id "
		. "WHERE w.slug = '$slug'");
}

sub test_async_and_payload {
	my ($t, $tok) = @_;
	webhook_workflow($t, $tok, 'asyncwf', 'hooks/async-one') or return;
	my ($res, $j) = deliver($t, 'POST', 'hooks/async-one?source=ci&x=1', '{"text": "hello", "n": 2}',
		{ 'X-Custom' => 'yes', Authorization => 'Bearer secret-token', Cookie => 'a=b' });
	is($res->{status}, 202, 'an asynchronous webhook answers 202') or diag($res->{content});
	is($j->{status}, 'pending', 'with status pending');
	like($j->{execution_id} // '', qr/^[0-9a-f-]{36}$/, 'and the execution id');
	is($res->{headers}{location}, "/api/v1/executions/$j->{execution_id}/status/", 'Location names its status');
	my $row = wait_execution($t, $j->{execution_id});
	is($row->{status}, 'completed', 'the execution runs to its end') or diag($t->log_tail);
	is_deeply(decode_json($row->{output} // 'null'), { output => 'got hello' }, 'with trigger.text from the body');
	my $p = decode_json($t->db_query("SELECT trigger_payload FROM workflow_executions "
		. "WHERE execution_id = '$j->{execution_id}'") // 'null');
	is_deeply($p->{body}, { text => 'hello', n => 2 }, 'payload body: the parsed JSON');
	is_deeply($p->{query}, { source => 'ci', x => '1' }, 'payload query');
	is($p->{method}, 'POST', 'payload method');
	is($p->{path}, 'hooks/async-one', 'payload path');
	is($p->{text}, 'hello', 'payload text');
	is($p->{headers}{'x-custom'}, 'yes', 'headers, lower-case names');
	is($p->{headers}{'content-type'}, 'application/json', 'content-type among them');
	ok(!exists $p->{headers}{authorization} && !exists $p->{headers}{cookie},
		'Authorization and Cookie never reach the workflow');

	($res, $j) = deliver($t, 'POST', 'hooks/async-one', 'plain words', { 'Content-Type' => 'text/plain' });
	is($res->{status}, 202, 'a body that is not JSON is taken');
	$p = decode_json($t->db_query("SELECT trigger_payload FROM workflow_executions "
		. "WHERE execution_id = '$j->{execution_id}'") // 'null');
	is_deeply($p->{body}, { raw => 'plain words' }, 'as {"raw": text}');
	is($p->{text}, '', 'text is empty then');
}

sub test_not_found_and_method {
	my ($t, $tok, $admin) = @_;
	my ($res, $j) = deliver($t, 'POST', 'nobody/here', '{}');
	is($res->{status}, 404, 'unknown path: 404');
	is($j->{detail}, 'Webhook not found', 'with a JSON detail');
	($res) = deliver($t, 'POST', 'hooks%2Fasync-one', '{}');
	is($res->{status}, 404, 'an escaped spelling of a path is not that path');

	webhook_workflow($t, $tok, 'getonly', 'get-only', { method => 'GET' }) or return;
	($res, $j) = deliver($t, 'POST', 'get-only', '{}');
	is($res->{status}, 405, 'a method the webhook does not take: 405');
	is($res->{headers}{allow}, 'GET', 'Allow names the one it takes');
	($res) = $t->request('GET', '/api/v1/webhooks/get-only');
	is($res->{status}, 202, 'its own method starts it');

	webhook_workflow($t, $tok, 'anymethod', 'any-method', { method => 'ANY' }) or return;
	($res) = deliver($t, 'DELETE', 'any-method', '');
	is($res->{status}, 202, 'ANY takes every method');

	webhook_workflow($t, $tok, 'goesoff', 'goes-off') or return;
	($res) = api($t, $tok, 'PATCH', 'workflows/goesoff/', { is_active => JSON::PP::false });
	is($res->{status}, 200, 'the workflow is deactivated') or diag($res->{content});
	($res) = deliver($t, 'POST', 'goes-off', '{}');
	is($res->{status}, 404, 'an inactive workflow: 404');

	webhook_workflow($t, $tok, 'triggeroff', 'trigger-off') or return;
	($res) = api($t, $tok, 'PATCH', 'workflows/triggeroff/nodes/hook/', { config => { is_active => JSON::PP::false } });
	is($res->{status}, 200, 'the trigger is deactivated') or diag($res->{content});
	($res) = deliver($t, 'POST', 'trigger-off', '{}');
	is($res->{status}, 404, 'an inactive trigger: 404');

	my $bob = make_user($t, 'bob', 'bob-pass-1', 'normal') or return;
	webhook_workflow($t, $bob, 'bobs', 'bobs-hook') or return;
	($res) = deliver($t, 'POST', 'bobs-hook', '{}');
	is($res->{status}, 202, "bob's webhook answers");
	my (undef, $me) = api($t, $bob, 'GET', 'users/me');
	my $bob_id = $me->{id} // 'none';
	($res) = api($t, $admin, 'DELETE', "users/$bob_id");
	ok($res->{status} == 200 || $res->{status} == 204, 'bob is deleted') or diag($res->{content});
	($res) = deliver($t, 'POST', 'bobs-hook', '{}');
	is($res->{status}, 404, 'a deleted owner: 404');
}

sub test_too_large {
	my ($t, $tok) = @_;
	webhook_workflow($t, $tok, 'bigbody', 'big-body') or return;
	my ($res, $j) = deliver($t, 'POST', 'big-body', 'x' x 70000);
	is($res->{status}, 413, 'a body over the limit: 413');
	is($j->{detail}, 'Request body too large', 'with a JSON detail');
	is(executions_of($t, 'bigbody'), '0', 'and nothing started');
}

sub test_signatures {
	my ($t, $tok) = @_;
	my $secret = 'whsec-test-0123456789';
	my $body = '{"text": "signed"}';
	webhook_workflow($t, $tok, 'ghsig', 'gh', { secret => $secret }) or return;
	webhook_workflow($t, $tok, 'hexsig', 'hex',
		{ secret => $secret, signature_algorithm => 'hex', signature_header => 'X-Signature' }) or return;
	webhook_workflow($t, $tok, 'stripesig', 'stripe',
		{ secret => $secret, signature_algorithm => 'stripe', signature_header => 'Stripe-Signature' }) or return;
	my $mac = hmac_sha256_hex($body, $secret);

	my ($res, $j) = deliver($t, 'POST', 'gh', $body, { 'X-Hub-Signature-256' => "sha256=$mac" });
	is($res->{status}, 202, 'sha256 (GitHub): a good signature is taken') or diag($res->{content});
	my $p = decode_json($t->db_query("SELECT trigger_payload FROM workflow_executions "
		. "WHERE execution_id = '$j->{execution_id}'") // 'null');
	ok(!exists $p->{headers}{'x-hub-signature-256'}, 'the signature header does not reach the workflow');
	($res, $j) = deliver($t, 'POST', 'gh', $body, { 'X-Hub-Signature-256' => 'sha256=' . ('0' x 64) });
	is($res->{status}, 401, 'sha256: a bad signature is 401');
	like($j->{detail} // '', qr/signature/i, 'with a JSON detail');
	($res) = deliver($t, 'POST', 'gh', $body);
	is($res->{status}, 401, 'sha256: a missing signature is 401');
	($res) = deliver($t, 'POST', 'gh', $body, { 'X-Hub-Signature-256' => $mac });
	is($res->{status}, 401, 'sha256: the bare hex without its prefix is 401');
	($res) = deliver($t, 'POST', 'gh', '{"text": "tampered"}', { 'X-Hub-Signature-256' => "sha256=$mac" });
	is($res->{status}, 401, 'sha256: a signature of another body is 401');

	($res) = deliver($t, 'POST', 'hex', $body, { 'X-Signature' => uc $mac });
	is($res->{status}, 202, 'hex: a good signature is taken (either case)');
	($res) = deliver($t, 'POST', 'hex', $body, { 'X-Signature' => substr($mac, 1) . 'a' });
	is($res->{status}, 401, 'hex: a bad signature is 401');
	($res) = deliver($t, 'POST', 'hex', $body);
	is($res->{status}, 401, 'hex: a missing signature is 401');

	my $now = time;
	my $stripe = sub { my ($ts, $b) = @_; return "t=$ts,v1=" . hmac_sha256_hex("$ts.$b", $secret) };
	($res) = deliver($t, 'POST', 'stripe', $body, { 'Stripe-Signature' => $stripe->($now, $body) });
	is($res->{status}, 202, 'stripe: a good signature is taken') or diag($res->{content});
	($res) = deliver($t, 'POST', 'stripe', $body,
		{ 'Stripe-Signature' => "t=$now,v1=" . ('ab' x 32) . ',v1=' . hmac_sha256_hex("$now.$body", $secret) });
	is($res->{status}, 202, 'stripe: any v1 may match (a secret being rolled)');
	($res) = deliver($t, 'POST', 'stripe', $body, { 'Stripe-Signature' => "t=$now,v1=" . ('ab' x 32) });
	is($res->{status}, 401, 'stripe: a bad signature is 401');
	($res) = deliver($t, 'POST', 'stripe', $body);
	is($res->{status}, 401, 'stripe: a missing signature is 401');
	($res) = deliver($t, 'POST', 'stripe', $body, { 'Stripe-Signature' => "v1=$mac" });
	is($res->{status}, 401, 'stripe: a signature without its timestamp is 401');
	($res, $j) = deliver($t, 'POST', 'stripe', $body, { 'Stripe-Signature' => $stripe->($now - 301, $body) });
	is($res->{status}, 401, 'stripe: a timestamp outside the 300 s tolerance is 401');
	like($j->{detail} // '', qr/tolerance/, 'and says so');
	($res) = deliver($t, 'POST', 'stripe', $body, { 'Stripe-Signature' => $stripe->($now + 400, $body) });
	is($res->{status}, 401, 'stripe: one from the future past it too');
}

sub test_repeated_delivery {
	my ($t, $tok) = @_;
	webhook_workflow($t, $tok, 'redeliver', 'redeliver') or return;
	my %h = ('X-GitHub-Delivery' => '72d3162e-cc78-11e3-81ab-4c9367dc0958');
	my ($res, $first) = deliver($t, 'POST', 'redeliver', '{"a": 1}', \%h);
	is($res->{status}, 202, 'a first delivery starts an execution');
	my ($again, $second) = deliver($t, 'POST', 'redeliver', '{"a": 1}', \%h);
	is($again->{status}, 202, 'the same delivery again answers as the first');
	is($second->{execution_id}, $first->{execution_id}, 'with the first execution id');
	is($again->{headers}{'idempotent-replayed'}, 'true', 'marked as a replay');
	is(executions_of($t, 'redeliver'), '1', 'and starts nothing new');
	for my $hdr ('X-Webhook-Id', 'Idempotency-Key') {
		my ($r1, $j1) = deliver($t, 'POST', 'redeliver', '{"a": 2}', { $hdr => "id-$hdr" });
		my ($r2, $j2) = deliver($t, 'POST', 'redeliver', '{"a": 2}', { $hdr => "id-$hdr" });
		is($j2->{execution_id}, $j1->{execution_id}, "$hdr: a repeated id answers the first execution");
	}
	is(executions_of($t, 'redeliver'), '3', 'one execution per delivery id');
	($res) = deliver($t, 'POST', 'redeliver', '{"a": 3}', \%h);
	is($res->{status}, 422, 'the id again with another body: 422');

	# Scoped to the path: the same id at another webhook is another delivery.
	webhook_workflow($t, $tok, 'redeliver2', 'redeliver-two') or return;
	my ($other, $oj) = deliver($t, 'POST', 'redeliver-two', '{"a": 1}', \%h);
	is($other->{status}, 202, 'the same id at another path is a new delivery');
	isnt($oj->{execution_id}, $first->{execution_id}, 'with its own execution');
}

sub test_limits {
	my ($t, $tok) = @_;
	webhook_workflow($t, $tok, 'ratelimited', 'rate-limited', { rate_limit_per_minute => 2 }) or return;
	for my $i (1, 2) {
		my ($res) = deliver($t, 'POST', 'rate-limited', qq({"i": $i}));
		is($res->{status}, 202, "delivery $i within the rate");
	}
	my ($res, $j) = deliver($t, 'POST', 'rate-limited', '{"i": 3}');
	is($res->{status}, 429, 'over rate_limit_per_minute: 429');
	like($res->{headers}{'retry-after'} // '', qr/^\d+$/, 'with Retry-After');
	ok(($res->{headers}{'retry-after'} // 0) >= 1 && $res->{headers}{'retry-after'} <= 60,
		'within the minute');
	like($j->{detail} // '', qr/rate/i, 'and a JSON detail');
	is(executions_of($t, 'ratelimited'), '2', 'the refused delivery started nothing');

	webhook_workflow($t, $tok, 'oneatatime', 'one-at-a-time', { max_concurrency => 1 }, 3) or return;
	my ($r1, $j1) = deliver($t, 'POST', 'one-at-a-time', '{}');
	is($r1->{status}, 202, 'the first delivery runs');
	($res, $j) = deliver($t, 'POST', 'one-at-a-time', '{}');
	is($res->{status}, 429, 'a second while the first is in flight: 429');
	like($res->{headers}{'retry-after'} // '', qr/^\d+$/, 'with Retry-After');
	my $row = wait_execution($t, $j1->{execution_id});
	is($row->{status}, 'completed', 'the first finishes');
	($res) = deliver($t, 'POST', 'one-at-a-time', '{}');
	is($res->{status}, 202, 'then the next delivery is taken');
}

sub test_sync {
	my ($t, $tok) = @_;
	webhook_workflow($t, $tok, 'syncwf', 'sync-hook', { mode => 'sync', max_wait_seconds => 30 }, 0,
		'answer to {{ trigger.text }}') or return;
	my ($res, $j) = deliver($t, 'POST', 'sync-hook', '{"text": "ping"}');
	SKIP: {
		skip 'no nchan: synchronous mode answers as asynchronous mode', 4 unless $NCHAN;
		is($res->{status}, 200, 'a synchronous webhook answers 200 with the result') or diag($res->{content});
		is($j->{status}, 'completed', 'its status');
		is($j->{output}, 'answer to ping', "and the reply's output");
		like($j->{execution_id} // '', qr/^[0-9a-f-]{36}$/, 'and the execution id');
	}
	my $id = $j->{execution_id};

	($res, my $j2) = deliver($t, 'POST', 'sync-hook', '{"text": "ping"}', { 'X-Webhook-Id' => 'sync-1' });
	my ($res2, $j3) = deliver($t, 'POST', 'sync-hook', '{"text": "ping"}', { 'X-Webhook-Id' => 'sync-1' });
	is($j3->{execution_id}, $j2->{execution_id}, 'a repeated synchronous delivery answers the same execution');
	is($res2->{status}, $res->{status}, 'with the same status') ;
	SKIP: {
		skip 'no nchan or no curl', 3 unless $NCHAN && -x '/usr/bin/curl' && $id;
		is($j3->{output}, 'answer to ping', 'and the same result (kept on its result channel)');
		ok(wait_until(10, sub { $t->held_messages("webhook-result:$j2->{execution_id}") == 1 }),
			'a delivery with an id leaves its result on the result channel, for a repeat');
		is($t->held_messages("webhook-result:$id"), 0,
			'a delivery without one, answered with its result at once, publishes none: nobody can wait for it');
	}

	webhook_workflow($t, $tok, 'syncslow', 'sync-slow', { mode => 'sync', max_wait_seconds => 1 }, 4) or return;
	($res, $j) = deliver($t, 'POST', 'sync-slow', '{"text": "slow"}');
	SKIP: {
		skip 'no nchan', 4 unless $NCHAN;
		is($res->{status}, 202, 'a synchronous wait that runs out answers 202') or diag($res->{content});
		like($j->{execution_id} // '', qr/^[0-9a-f-]{36}$/, 'with the execution id');
		is($res->{headers}{location}, "/api/v1/executions/$j->{execution_id}/status/", 'and a Location to poll');
		my ($st) = api($t, $tok, 'GET', "executions/$j->{execution_id}/status/");
		is($st->{status}, 200, 'which its owner can read');
	}
	my $row = wait_execution($t, $j->{execution_id});
	is($row->{status}, 'completed', 'the execution still runs to its end');
}

# Each responder keeps the targets it delivered to (model/webhook_cache.h).
# Every change a delivery's answer depends on must show at once on every
# responder: warm them all, change, and every delivery after sees it.
sub test_kept_targets {
	my ($t, $tok, $admin) = @_;
	my $n = 6;       # deliveries: each of the pool's responders serves some
	my $all = sub {
		my ($what, $want, $path, $body, $headers, $method) = @_;
		my %got;
		for (1 .. $n) {
			my ($res) = deliver($t, $method // 'POST', $path, $body, $headers);
			$got{ $res->{status} }++;
		}
		is_deeply(\%got, { $want => $n }, "$what: all $n deliveries answer $want")
			or diag(explain(\%got));
	};
	my $body = '{"text": "kept"}';
	my $sign = sub { my ($secret) = @_; return { 'X-Hub-Signature-256' => 'sha256=' . hmac_sha256_hex($body, $secret) } };

	webhook_workflow($t, $tok, 'keptsecret', 'kept-secret', { secret => 'old-secret-0123' }) or return;
	$all->('signed with the secret', 202, 'kept-secret', $body, $sign->('old-secret-0123'));
	my ($res) = api($t, $tok, 'PATCH', 'workflows/keptsecret/nodes/hook/',
		{ config => { extra_config => { path => 'kept-secret', secret => 'new-secret-4567' } } });
	is($res->{status}, 200, 'the secret is replaced') or diag($res->{content});
	my $before = executions_of($t, 'keptsecret');
	$all->('signed with the old secret after it was replaced', 401, 'kept-secret', $body, $sign->('old-secret-0123'));
	is(executions_of($t, 'keptsecret'), $before, 'and none of them started anything');
	$all->('signed with the new secret', 202, 'kept-secret', $body, $sign->('new-secret-4567'));

	webhook_workflow($t, $tok, 'keptmethod', 'kept-method') or return;
	$all->('POST before the change', 202, 'kept-method', '{}');
	($res) = api($t, $tok, 'PATCH', 'workflows/keptmethod/nodes/hook/',
		{ config => { extra_config => { path => 'kept-method', method => 'PUT' } } });
	is($res->{status}, 200, 'the method becomes PUT') or diag($res->{content});
	$all->('POST after the method became PUT', 405, 'kept-method', '{}');
	$all->('PUT', 202, 'kept-method', '{}', undef, 'PUT');

	webhook_workflow($t, $tok, 'keptpath', 'kept-path-one') or return;
	$all->('the first path', 202, 'kept-path-one', '{}');
	($res) = api($t, $tok, 'PATCH', 'workflows/keptpath/nodes/hook/',
		{ config => { extra_config => { path => 'kept-path-two' } } });
	is($res->{status}, 200, 'the path moves') or diag($res->{content});
	$all->('the old path', 404, 'kept-path-one', '{}');
	$all->('the new path', 202, 'kept-path-two', '{}');

	webhook_workflow($t, $tok, 'keptoff', 'kept-off') or return;
	$all->('an active workflow', 202, 'kept-off', '{}');
	($res) = api($t, $tok, 'PATCH', 'workflows/keptoff/', { is_active => JSON::PP::false });
	is($res->{status}, 200, 'the workflow is deactivated') or diag($res->{content});
	$before = executions_of($t, 'keptoff');
	$all->('a workflow deactivated since', 404, 'kept-off', '{}');
	is(executions_of($t, 'keptoff'), $before, 'and none of them started anything');
	($res) = api($t, $tok, 'PATCH', 'workflows/keptoff/', { is_active => JSON::PP::true });
	$all->('the workflow active again', 202, 'kept-off', '{}');

	SKIP: {
		skip 'no nchan: synchronous mode answers as asynchronous mode', 3 unless $NCHAN;
		webhook_workflow($t, $tok, 'keptmode', 'kept-mode', { mode => 'sync', max_wait_seconds => 30 }) or return;
		$all->('synchronous mode', 200, 'kept-mode', '{"text": "a"}');
		($res) = api($t, $tok, 'PATCH', 'workflows/keptmode/nodes/hook/',
			{ config => { extra_config => { path => 'kept-mode', mode => 'async' } } });
		is($res->{status}, 200, 'the webhook becomes asynchronous') or diag($res->{content});
		$all->('asynchronous since', 202, 'kept-mode', '{"text": "a"}');
	}

	my $carol = make_user($t, 'carol', 'carol-pass-1', 'normal') or return;
	webhook_workflow($t, $carol, 'carols', 'carols-hook') or return;
	$all->("carol's webhook", 202, 'carols-hook', '{}');
	my (undef, $me) = api($t, $carol, 'GET', 'users/me');
	($res) = api($t, $admin, 'DELETE', 'users/' . ($me->{id} // 'none'));
	ok($res->{status} == 200 || $res->{status} == 204, 'carol is deleted') or diag($res->{content});
	$before = executions_of($t, 'carols');
	$all->('a webhook whose owner was deleted since', 404, 'carols-hook', '{}');
	is(executions_of($t, 'carols'), $before, 'and none of them started anything');
}

# The issue's test: 200 synchronous callers on a workflow that waits 2 s;
# no responder is held while they wait, so the rest of the API answers.
sub test_many_sync {
	my ($t, $tok) = @_;
	plan skip_all => 'no nchan' unless $NCHAN;
	webhook_workflow($t, $tok, 'slowsync', 'slow-sync', { mode => 'sync', max_wait_seconds => 120 }, 2,
		'done {{ trigger.text }}') or return;
	my $n = 200;
	my @socks;
	for my $i (1 .. $n) {
		my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $t->port, Timeout => 10)
			or do { fail("connect $i: $!"); return };
		my $body = qq({"text": "c$i"});
		print $s "POST /api/v1/webhooks/slow-sync HTTP/1.0\r\nHost: localhost\r\n"
			. "Content-Type: application/json\r\nContent-Length: " . length($body) . "\r\n\r\n$body";
		push @socks, $s;
	}
	# While they wait: the API answers.
	my ($ok, $running) = (0);
	for (1 .. 10) {
		$ok++ if $t->get('/health')->{status} == 200;
		my ($res) = api($t, $tok, 'GET', 'workflows/');
		$ok++ if $res->{status} == 200;
		$running //= $t->db_query("SELECT count(*) FROM workflow_executions e JOIN workflows w "
			. "ON w.id = e.workflow_id WHERE w.slug = 'slowsync' AND e.status IN ('pending', 'running')");
	}
	is($ok, 20, 'other API requests answer while 200 synchronous callers wait');
	ok($running > 0, "the callers were still waiting then: their executions in flight ($running)");

	my %buf;
	my $sel = IO::Select->new(@socks);
	my $deadline = time + 120;
	while ($sel->count && time < $deadline) {
		for my $s ($sel->can_read(1)) {
			my $got = sysread($s, my $chunk, 65536);
			if ($got) { $buf{ fileno $s } .= $chunk; next }
			$sel->remove($s);
		}
	}
	my ($good, %statuses) = (0);
	for my $i (0 .. $#socks) {
		my $text = $buf{ fileno $socks[$i] } // '';
		my ($status) = $text =~ m{^HTTP/1\.\d (\d+)};
		$statuses{ $status // 'none' }++;
		my ($json) = $text =~ /\r\n\r\n(.*)\z/s;
		my $j = eval { decode_json($json // '') } // {};
		$good++ if ($status // 0) == 200 && ($j->{output} // '') eq 'done c' . ($i + 1);
	}
	is($good, $n, 'all 200 synchronous callers get 200 with their own output')
		or diag(join ', ', map { "$_: $statuses{$_}" } sort keys %statuses);
	close $_ for @socks;
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $t = PipelitTest->started(db_url => $db_url, env => { PIPELIT_MAX_BODY_BYTES => 65536 }) or return;
	my $admin = make_user($t, 'root', 'root-pass-1', 'admin') or return;
	my $alice = make_user($t, 'alice', 'alice-pass-1', 'normal') or return;
	subtest async_and_payload => sub { test_async_and_payload($t, $alice) };
	subtest not_found_and_method => sub { test_not_found_and_method($t, $alice, $admin) };
	subtest too_large => sub { test_too_large($t, $alice) };
	subtest signatures => sub { test_signatures($t, $alice) };
	subtest repeated_delivery => sub { test_repeated_delivery($t, $alice) };
	subtest limits => sub { test_limits($t, $alice) };
	subtest kept_targets => sub { test_kept_targets($t, $alice, $admin) };
	subtest sync => sub { test_sync($t, $alice) };
	subtest many_sync => sub { test_many_sync($t, $alice) };
});

done_testing();
