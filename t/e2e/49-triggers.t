# Triggers a user fires over the API: POST /workflows/{slug}/execute/ (the
# manual trigger) and POST /workflows/{slug}/chat/.  What the execution
# records (its trigger payload, its thread, who runs it), the trigger looked
# up only in the slug's workflow (by id, or the first active one by
# priority), the refusals (no workflow, inactive, no such trigger, another
# user's workflow: 404s with Pipelit's details; bad bodies: 422), and an
# Idempotency-Key that answers the first execution again and starts
# nothing; a key the responders kept refused at once when it no longer
# stands.  Every answer is checked against the OpenAPI document.  Both
# backends.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use JSON::PP;
use PipelitTest;
use PipelitAuth;
use OpenAPISchema;

need_nginx();

my $OA = OpenAPISchema->new(decode_json(PipelitTest::slurp(srcdir() . '/doc/openapi.json')));

sub call {
	my ($t, $token, $template, $slug, $body, $headers) = @_;
	(my $path = $template) =~ s/\{slug\}/$slug/;
	my %o = (headers => { %{ bearer($token) }, %{ $headers // {} } });
	$o{content} = $body if defined $body;
	my $res = $t->request('POST', $path, \%o);
	my $json = length($res->{content} // '') ? $t->json($res) : undef;
	my @errors = $OA->check_response('POST', $template, $res->{status}, $json);
	ok(!@errors, "POST $path $res->{status} matches the document") or diag(join("\n", @errors));
	return ($res, $json);
}

sub execute { my ($t, $token, $slug, $body, $h) = @_; call($t, $token, '/api/v1/workflows/{slug}/execute/', $slug, $body, $h) }
sub chat { my ($t, $token, $slug, $body, $h) = @_; call($t, $token, '/api/v1/workflows/{slug}/chat/', $slug, $body, $h) }

sub api {
	my ($t, $token, $method, $path, $body) = @_;
	my %o = (headers => bearer($token));
	$o{content} = $body if defined $body;
	my $res = $t->request($method, "/api/v1/$path", \%o);
	return ($res, $t->json($res));
}

sub make_workflow {
	my ($t, $token, $slug, %o) = @_;
	my ($res, $j) = api($t, $token, 'POST', 'workflows/', { name => $slug, slug => $slug, %o });
	is($res->{status}, 201, "workflow $slug") or diag($res->{content});
	return $j;
}

sub node {
	my ($t, $token, $slug, $body) = @_;
	my ($res, $j) = api($t, $token, 'POST', "workflows/$slug/nodes/", $body);
	is($res->{status}, 201, "node $body->{node_id}") or diag($res->{content});
	return $j;
}

sub exec_row {
	my ($t, $id, $cols) = @_;
	return $t->db_query("SELECT $cols FROM workflow_executions WHERE execution_id = '$id'") // '';
}

sub execution_count { $_[0]->db_query('SELECT count(*) FROM workflow_executions') }

sub test_execute {
	my ($t, $alice, $ctx) = @_;
	my ($res, $j) = execute($t, $alice, 'run-me', { text => 'hello' });
	is($res->{status}, 200, 'execute: 200') or return diag($res->{content});
	is_deeply([sort keys %$j], ['execution_id', 'status'], '{execution_id, status}');
	is($j->{status}, 'pending', 'pending');
	my $id = $j->{execution_id};
	like($id, qr/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
		'a time-ordered uuid (version 7)');
	my (undef, $next) = execute($t, $alice, 'run-me', { text => 'again' });
	my $ms = sub { my $h = $_[0] =~ s/-//gr; hex(substr($h, 0, 12)) };
	cmp_ok($ms->($next->{execution_id}), '>=', $ms->($id), 'a later execution has a later id');
	my (undef, $d) = api($t, $alice, 'GET', "executions/$id/");
	is($d->{workflow_slug}, 'run-me', 'the execution is of the workflow');
	is_deeply($d->{trigger_payload}, { text => 'hello' }, 'trigger_payload {text}');
	is(exec_row($t, $id, 'user_profile_id'), $ctx->{alice_id}, 'it runs for the caller');
	is(exec_row($t, $id, 'trigger_node_id'), $ctx->{manual_pk}, 'from the highest-priority active manual trigger');
	my $thread = exec_row($t, $id, 'thread_id');
	ok(length($thread) >= 8, 'a random thread id');

	$res = $t->request('POST', '/api/v1/workflows/run-me/execute/', { headers => bearer($alice) });
	is($res->{status}, 200, 'execute without a body: 200') or diag($res->{content});
	my $id2 = $t->json($res)->{execution_id};
	(undef, $d) = api($t, $alice, 'GET', "executions/$id2/");
	is_deeply($d->{trigger_payload}, { text => '' }, 'text defaults to ""');
	isnt(exec_row($t, $id2, 'thread_id'), $thread, 'each run its own thread');

	($res, $j) = execute($t, $alice, 'run-me', { text => 'x', trigger_node_id => 'manual_low' });
	is($res->{status}, 200, 'a named manual trigger');
	is(exec_row($t, $j->{execution_id}, 'trigger_node_id'), $ctx->{manual_low_pk}, 'that trigger');
	($res, $j) = execute($t, $alice, 'run-me', { trigger_node_id => undef, text => undef });
	is($res->{status}, 200, 'nulls count as absent');

	($res) = execute($t, $alice, 'run-me', { trigger_node_id => 'chat' });
	is_detail($t, $res, 404, 'Manual trigger node not found', 'a chat trigger named for a manual run');
	($res, $j) = execute($t, $alice, 'run-me', { trigger_node_id => 'manual_off' });
	is($res->{status}, 200, 'an inactive manual trigger named runs, as in Pipelit');
	($res) = execute($t, $alice, 'run-me', { trigger_node_id => 'other_manual' });
	is_detail($t, $res, 404, 'Manual trigger node not found', "a manual trigger of another workflow");
	($res) = execute($t, $alice, 'chat-only', {});
	is_detail($t, $res, 404, 'No trigger configured for manual execution', 'a workflow without a manual trigger');
	($res) = execute($t, $alice, 'sleeping', {});
	is_detail($t, $res, 404, 'Workflow not found', 'an inactive workflow');
	($res) = execute($t, $alice, 'no-such', {});
	is_detail($t, $res, 404, 'Workflow not found', 'no such workflow');
}

sub test_chat {
	my ($t, $alice, $ctx) = @_;
	my ($res, $j) = chat($t, $alice, 'run-me', { text => 'hi there' });
	is($res->{status}, 200, 'chat: 200') or return diag($res->{content});
	is_deeply([sort keys %$j], ['execution_id', 'response', 'status'], '{execution_id, status, response}');
	is($j->{status} . '|' . $j->{response}, 'pending|', 'pending, no response yet');
	my $id = $j->{execution_id};
	is(exec_row($t, $id, 'thread_id'), "$ctx->{alice_id}:$ctx->{run_me_id}", 'thread "<user id>:<workflow id>"');
	is(exec_row($t, $id, 'trigger_node_id'), $ctx->{chat_pk}, 'the chat trigger');
	my (undef, $d) = api($t, $alice, 'GET', "executions/$id/");
	is_deeply($d->{trigger_payload}, { text => 'hi there' }, 'trigger_payload {text}');
	($res, $j) = chat($t, $alice, 'run-me', { text => 'again' });
	is(exec_row($t, $j->{execution_id}, 'thread_id'), "$ctx->{alice_id}:$ctx->{run_me_id}", 'the same thread again');
	($res, $j) = chat($t, $alice, 'run-me', { text => 'x', trigger_node_id => 'chat' });
	is($res->{status}, 200, 'a named chat trigger');
	($res) = chat($t, $alice, 'run-me', { text => 'x', trigger_node_id => 'manual' });
	is_detail($t, $res, 404, 'No chat trigger found.', 'a manual trigger named for a chat');
	($res) = chat($t, $alice, 'no-chat', { text => 'x' });
	is_detail($t, $res, 404, 'No chat trigger found.', 'a workflow without a chat trigger');
	($res) = chat($t, $alice, 'no-such', { text => 'x' });
	is_detail($t, $res, 404, 'Workflow not found.', 'no such workflow');
	($res) = chat($t, $alice, 'sleeping', { text => 'x' });
	is_detail($t, $res, 422, 'Workflow is inactive', 'an inactive workflow');
}

sub test_scoping {
	my ($t, $alice, $bob, $admin, $ctx) = @_;
	my $before = execution_count($t);
	my ($res) = execute($t, $bob, 'run-me', { text => 'x' });
	is_detail($t, $res, 404, 'Workflow not found', "bob runs alice's workflow");
	($res) = chat($t, $bob, 'run-me', { text => 'x' });
	is_detail($t, $res, 404, 'Workflow not found.', "bob chats with alice's workflow");
	is(execution_count($t), $before, 'nothing started');
	my $j;
	($res, $j) = execute($t, $admin, 'run-me', { text => 'x' });
	is($res->{status}, 200, "the admin runs alice's workflow");
	is(exec_row($t, $j->{execution_id}, 'user_profile_id'), $ctx->{admin_id}, 'for the admin');
	($res, $j) = chat($t, $admin, 'run-me', { text => 'x' });
	is(exec_row($t, $j->{execution_id}, 'thread_id'), "$ctx->{admin_id}:$ctx->{run_me_id}", "the admin's own thread");
	$res = $t->request('POST', '/api/v1/workflows/run-me/execute/', { content => {} });
	is($res->{status}, 401, 'no key: 401');
}

sub test_idempotency {
	my ($t, $alice) = @_;
	for my $route (['execute', \&execute], ['chat', \&chat]) {
		my ($name, $fire) = @$route;
		my $key = { 'Idempotency-Key' => "key-$name-1" };
		my $before = execution_count($t);
		my ($r1, $j1) = $fire->($t, $alice, 'run-me', { text => 'once' }, $key);
		is($r1->{status}, 200, "$name with a key: 200") or next;
		my ($r2, $j2) = $fire->($t, $alice, 'run-me', { text => 'once' }, $key);
		is($r2->{status}, 200, "$name again with the key: 200");
		is($j2->{execution_id}, $j1->{execution_id}, 'the first execution answered again');
		is($r2->{headers}{'idempotent-replayed'}, 'true', 'marked as a replay');
		is(execution_count($t), $before + 1, 'one execution started, not two');
		my ($r3) = $fire->($t, $alice, 'run-me', { text => 'twice' }, $key);
		is_detail($t, $r3, 422, qr/Idempotency-Key was already used/, "$name: the key with another body");
		my ($r4, $j4) = $fire->($t, $alice, 'run-me', { text => 'once' }, { 'Idempotency-Key' => "key-$name-2" });
		isnt($j4->{execution_id}, $j1->{execution_id}, 'a new key starts a new execution');
		my ($r5) = $fire->($t, $alice, 'no-such', { text => 'once' }, { 'Idempotency-Key' => "key-$name-3" });
		is($r5->{status}, 404, 'a refused start ...');
		make_workflow($t, $alice, "late-$name") or next;
		node($t, $alice, "late-$name", { node_id => 't', component_type => $name eq 'chat' ? 'trigger_chat'
			: 'trigger_manual' });
		($r5) = $fire->($t, $alice, "late-$name", { text => 'once' }, { 'Idempotency-Key' => "key-$name-3" });
		is($r5->{status}, 200, '... keeps nothing under its key: the key then starts another request');
	}
	my ($res) = execute($t, $alice, 'run-me', {}, { 'Idempotency-Key' => 'x' x 256 });
	is($res->{status}, 422, 'a malformed key: 422');
}

# Fires $n requests made by $make (it returns a response); the count of
# each "status detail" seen, marked when a 401 does not ask for a bearer
# token or an answer says it is a replay.
sub tally {
	my ($t, $n, $make) = @_;
	my %seen;
	for (1 .. $n) {
		my $r = $make->();
		my $seen = $r->{status} . ' ' . ((length($r->{content} // '') ? $t->json($r) : {})->{detail} // '');
		$seen .= ' [no WWW-Authenticate: Bearer]'
			if $r->{status} == 401 && join(',', header_values($r, 'WWW-Authenticate')) ne 'Bearer';
		$seen .= ' [replayed]' if header_values($r, 'Idempotent-Replayed');
		$seen{$seen}++;
	}
	return \%seen;
}

# A responder keeps the keys that started executions, and the start's own
# write confirms them: whatever a responder kept, a key revoked, expired,
# rotated away, a user deleted or demoted is refused on the very next
# request, by every responder, and starts nothing.  20 requests reach
# every responder of the pool (nginx spreads them).
sub test_kept_keys {
	my ($t, $admin, $alice, $ctx) = @_;
	my $fire = sub {
		my ($token, $slug, $body, $headers, $route) = @_;
		my %o = (headers => { %{ bearer($token) }, %{ $headers // {} } });
		$o{content} = $body if defined $body;
		return $t->request('POST', "/api/v1/workflows/$slug/" . ($route // 'execute') . '/', \%o);
	};
	my $warm = sub {
		my ($token, $slug, $what) = @_;
		my $ok = grep { $fire->($token, $slug, { text => 'warm' })->{status} == 200 } 1 .. 20;
		is($ok, 20, "$what: 20 executions before");
	};

	# Revoked: every way of asking is a 401, and none starts anything.
	# Each way with a key of its own, kept by the responders it reaches
	# (one they refused once they forget).
	my $key = make_key($t, $alice, 'kept') or return fail('a key');
	$warm->($key->{key}, 'run-me', 'a named key');
	my (undef, $j) = execute($t, $key->{key}, 'run-me', { text => 'mine' });
	is(exec_row($t, $j->{execution_id}, 'user_profile_id'), $ctx->{alice_id}, 'a kept key runs for its user');
	my $keys = $t->json($t->get('/api/v1/users/me/keys', bearer($alice))) // [];
	my ($row) = grep { $_->{id} == $key->{id} } @$keys;
	ok($row && defined $row->{last_used_at}, 'its use is marked');
	my @ways = (
		[ 'execute', sub { $fire->($_[0], 'run-me', { text => 'x' }) } ],
		[ 'chat', sub { $fire->($_[0], 'run-me', { text => 'x' }, undef, 'chat') } ],
		[ 'a body that is not valid', sub { $fire->($_[0], 'run-me', { text => 5 }) } ],
		[ 'no such workflow', sub { $fire->($_[0], 'no-such', { text => 'x' }) } ],
		[ 'a replayed Idempotency-Key', sub { $fire->($_[0], 'run-me', { text => 'k' },
			{ 'Idempotency-Key' => "kept-$_[0]" }) } ],
	);
	my $before;
	for my $way (@ways) {
		my ($what, $make) = @$way;
		my $k = $what eq 'execute' ? $key : make_key($t, $alice, "kept $what");
		$k or return fail("a key for $what");
		$warm->($k->{key}, 'run-me', "$what, a key");
		is($make->($k->{key})->{status}, 200, "$what: 200 before") if $what =~ /replayed/;
		$before = execution_count($t);
		is($t->request('DELETE', "/api/v1/users/me/keys/$k->{id}", { headers => bearer($alice) })->{status},
			204, "$what: the key is revoked");
		is_deeply(tally($t, 20, sub { $make->($k->{key}) }), { '401 API key has been revoked.' => 20 },
			"revoked, $what: 20 times 401");
		is(execution_count($t), $before, "$what: a revoked key started nothing");
	}

	# Demoted: an admin's key kept as an admin's no longer reaches another
	# user's workflow.
	my $dave = make_user($t, 'dave', 'dave-pass-1', 'admin') or return;
	$warm->($dave, 'run-me', "an admin on alice's workflow");
	my $dave_id = $t->db_query("SELECT id FROM user_profiles WHERE username = 'dave'");
	is($t->request('PATCH', "/api/v1/users/$dave_id", { content => { role => 'normal' },
		headers => bearer($admin) })->{status}, 200, 'the admin is made a normal user');
	$before = execution_count($t);
	is_deeply(tally($t, 20, sub { $fire->($dave, 'run-me', { text => 'x' }) }),
		{ '404 Workflow not found' => 20 }, "demoted: alice's workflow is not found, 20 times");
	is(execution_count($t), $before, 'and nothing started');

	# Deleted: the user's keys go with them.
	my $erin = make_user($t, 'erin', 'erin-pass-1', 'normal') or return;
	make_workflow($t, $erin, 'erins');
	node($t, $erin, 'erins', { node_id => 'm', component_type => 'trigger_manual' });
	$warm->($erin, 'erins', "a user's own workflow");
	my $erin_id = $t->db_query("SELECT id FROM user_profiles WHERE username = 'erin'");
	is($t->request('DELETE', "/api/v1/users/$erin_id", { headers => bearer($admin) })->{status}, 204,
		'the user is deleted');
	$before = execution_count($t);
	is_deeply(tally($t, 20, sub { $fire->($erin, 'erins', { text => 'x' }) }),
		{ '401 API key has been revoked.' => 20 }, 'deleted: 20 times 401');
	is(execution_count($t), $before, 'and nothing started');

	# A session key rotated by a new login: the old token is unknown.
	my $fay = make_user($t, 'fay', 'fay-pass-1', 'normal') or return;
	make_workflow($t, $fay, 'fays');
	node($t, $fay, 'fays', { node_id => 'm', component_type => 'trigger_manual' });
	$warm->($fay, 'fays', 'a session key');
	my $fay2 = login($t, 'fay', 'fay-pass-1');
	ok($fay2 && $fay2 ne $fay, 'a new login gives the session a new token');
	is_deeply(tally($t, 20, sub { $fire->($fay, 'fays', { text => 'x' }) }),
		{ '401 Invalid or missing API key.' => 20 }, 'the old token: 20 times 401');
	is($fire->($fay2, 'fays', { text => 'x' })->{status}, 200, 'the new token runs');

	# Expired: a key kept before its expiry is refused after it.
	my $soon = make_key($t, $alice, 'short-lived', iso_utc(time + 3)) or return fail('a short-lived key');
	$warm->($soon->{key}, 'run-me', 'a key about to expire');
	sleep 4.2;
	is_deeply(tally($t, 20, sub { $fire->($soon->{key}, 'run-me', { text => 'x' }) }),
		{ '401 API key has expired.' => 20 }, 'expired: 20 times 401');
}

sub test_hostile {
	my ($t, $alice) = @_;
	my $before = execution_count($t);
	for my $bad ([ 'body a list', [] ], [ 'body a string', 'x' ], [ 'text a number', { text => 5 } ],
		[ 'trigger_node_id a number', { text => 'x', trigger_node_id => 7 } ],
		[ 'text a list', { text => ['x'] } ]) {
		my ($res) = execute($t, $alice, 'run-me', $bad->[1]);
		is_validation($t, $res, "execute: $bad->[0]");
		($res) = chat($t, $alice, 'run-me', $bad->[1]);
		is_validation($t, $res, "chat: $bad->[0]");
	}
	my ($res) = chat($t, $alice, 'run-me', {});
	is_validation($t, $res, 'chat: text missing');
	($res) = chat($t, $alice, 'run-me', { text => undef });
	is_validation($t, $res, 'chat: text null');
	$res = $t->request('POST', '/api/v1/workflows/run-me/chat/', { headers => bearer($alice) });
	is_validation($t, $res, 'chat: no body');
	$res = $t->request('POST', '/api/v1/workflows/run-me/execute/', { headers => { %{ bearer($alice) },
		'Content-Type' => 'application/json' }, content => '{"text": ' });
	is_validation($t, $res, 'execute: broken JSON');
	is(execution_count($t), $before, 'nothing started by the refusals');
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $t = PipelitTest->started(db_url => $db_url) or return;
	my $admin = make_user($t, 'root', 'root-pass-1', 'admin') or return;
	my $alice = make_user($t, 'alice', 'alice-pass-1', 'normal') or return;
	my $bob = make_user($t, 'bob', 'bob-pass-1', 'normal') or return;
	my $run_me = make_workflow($t, $alice, 'run-me') or return;
	my $manual = node($t, $alice, 'run-me', { node_id => 'manual', component_type => 'trigger_manual',
		config => { priority => 5 } });
	my $low = node($t, $alice, 'run-me', { node_id => 'manual_low', component_type => 'trigger_manual' });
	node($t, $alice, 'run-me', { node_id => 'manual_off', component_type => 'trigger_manual',
		config => { is_active => JSON::PP::false, priority => 9 } });
	my $chat = node($t, $alice, 'run-me', { node_id => 'chat', component_type => 'trigger_chat' });
	make_workflow($t, $alice, 'chat-only');
	node($t, $alice, 'chat-only', { node_id => 'c', component_type => 'trigger_chat' });
	make_workflow($t, $alice, 'no-chat');
	node($t, $alice, 'no-chat', { node_id => 'other_manual', component_type => 'trigger_manual' });
	make_workflow($t, $alice, 'sleeping', is_active => JSON::PP::false);
	node($t, $alice, 'sleeping', { node_id => 'm', component_type => 'trigger_manual' });
	node($t, $alice, 'sleeping', { node_id => 'c', component_type => 'trigger_chat' });
	my %ctx = (
		alice_id => $t->db_query("SELECT id FROM user_profiles WHERE username = 'alice'"),
		admin_id => $t->db_query("SELECT id FROM user_profiles WHERE username = 'root'"),
		run_me_id => $run_me->{id},
		manual_pk => $manual->{id}, manual_low_pk => $low->{id}, chat_pk => $chat->{id},
	);
	subtest execute => sub { test_execute($t, $alice, \%ctx) };
	subtest chat => sub { test_chat($t, $alice, \%ctx) };
	subtest scoping => sub { test_scoping($t, $alice, $bob, $admin, \%ctx) };
	subtest idempotency => sub { test_idempotency($t, $alice) };
	subtest hostile => sub { test_hostile($t, $alice) };
	subtest kept_keys => sub { test_kept_keys($t, $admin, $alice, \%ctx) };
});

done_testing();
