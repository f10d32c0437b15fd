# Agent memory over the API (doc/memory.md): /api/v1/memories/... (facts,
# episodes, procedures, memory users, checkpoints) admin only (401 without
# a key, 403 for a normal user), each list in the spec's shape and key
# order, filtered, paged and newest first, limits validated, batch deletes
# (204, an empty list a no-op, bad bodies 422); and the caller's chat
# history (GET/DELETE /workflows/{slug}/chat/history) over a thread written
# through the checkpoint store: human and AI messages with their times,
# limit, before, has_more, dedup by message id, the thread's bound, scoping
# to the caller.  The store's file does not exist until the first write
# (reads, lists and deletes create nothing) and is 0600 when created; with
# CHECKPOINTS_STORE=database the thread is in the main database and no
# file is ever made.  Both backends.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use PipelitTest;
use PipelitAuth;

need_nginx();

my @KINDS = qw(facts episodes procedures users checkpoints);
my %KEYS = (
	facts => [qw(id scope agent_id user_id key value fact_type confidence times_confirmed access_count
		created_at updated_at)],
	episodes => [qw(id agent_id user_id trigger_type success error_code summary started_at ended_at
		duration_ms created_at)],
	procedures => [qw(id agent_id name description procedure_type times_used times_succeeded times_failed
		success_rate is_active created_at)],
	users => [qw(id canonical_id display_name telegram_id email total_conversations last_seen_at created_at)],
	checkpoints => [qw(thread_id checkpoint_ns checkpoint_id parent_checkpoint_id step source blob_size)],
);

sub mode_of { my ($p) = @_; my @s = stat($p); return @s ? sprintf('%04o', $s[2] & 07777) : 'missing' }

# The first item of a list answer has exactly the kind's keys, in order.
sub keys_in_order {
	my ($res, $kind) = @_;
	my ($first) = ($res->{content} // '') =~ /"items":\[\{(.*?)\}(?:,\{|\])/s;
	my @got = ($first // '') =~ /(?:^|,)"(\w+)":/g;
	is_deeply(\@got, $KEYS{$kind}, "$kind: every key of the spec's shape, in order");
}

sub test_access {
	my ($t, $admin, $alice) = @_;
	for my $kind (@KINDS) {
		my $res = $t->get("/api/v1/memories/$kind/");
		is($res->{status}, 401, "GET $kind without a key: 401");
		my ($r) = api_req($t, $alice, 'GET', "memories/$kind/");
		is($r->{status}, 403, "GET $kind as a normal user: 403");
		($r) = api_req($t, $alice, 'POST', "memories/$kind/batch-delete/",
			$kind eq 'checkpoints' ? { thread_ids => [] } : { ids => [] });
		is($r->{status}, 403, "batch-delete $kind as a normal user: 403");
		$res = $t->post("/api/v1/memories/$kind/batch-delete/", { ids => [] });
		is($res->{status}, 401, "batch-delete $kind without a key: 401");
		my $j = api_ok($t, $admin, 'GET', "memories/$kind/", undef, 200, "GET $kind as an admin");
		is_deeply($j, { items => [], total => 0 }, "$kind: none yet");
	}
}

sub seed_memories {
	my ($t) = @_;
	my @sql = (
		"INSERT INTO memory_facts (id, scope, agent_id, key, value, fact_type, confidence, created_at, updated_at) VALUES "
			. "('f1', 'global', NULL, 'color', '\"blue\"', 'user_preference', 0.9, '2026-01-01 00:00:00.000000', '2026-01-01 00:00:01.000000'), "
			. "('f2', 'agent', 'agent_1', 'limits', '{\"a\": [1, 2]}', 'self_knowledge', 1.0, '2026-01-01 00:00:00.000000', '2026-01-01 00:00:02.000000'), "
			. "('f3', 'global', NULL, 'tz', '\"UTC\"', 'world_knowledge', 1.0, '2026-01-01 00:00:00.000000', '2026-01-01 00:00:03.000000')",
		"INSERT INTO memory_episodes (id, agent_id, user_id, trigger_type, success, summary, started_at, ended_at, duration_ms, created_at) VALUES "
			. "('e1', 'agent_1', 'telegram:1', 'chat', TRUE, 'talked', '2026-01-02 00:00:00.000000', '2026-01-02 00:00:01.500000', 1500, '2026-01-02 00:00:00.000000'), "
			. "('e2', 'agent_2', NULL, 'manual', FALSE, NULL, '2026-01-03 00:00:00.000000', NULL, NULL, '2026-01-03 00:00:00.000000')",
		"INSERT INTO memory_procedures (id, agent_id, name, description, procedure_type, procedure_content, times_used, times_succeeded, times_failed, created_at) VALUES "
			. "('p1', 'agent_1', 'survey', 'ask', 'steps', '{}', 4, 3, 1, '2026-01-04 00:00:00.000000'), "
			. "('p2', 'agent_2', 'fresh', '', 'steps', '{}', 0, 0, 0, '2026-01-05 00:00:00.000000')",
		"INSERT INTO memory_users (id, canonical_id, display_name, telegram_id, total_conversations, last_seen_at, created_at) VALUES "
			. "('u1', 'telegram:1', 'Ann', '1', 3, '2026-01-06 00:00:00.000000', '2026-01-01 00:00:00.000000'), "
			. "('u2', 'webhook:x', NULL, NULL, 1, '2026-01-07 00:00:00.000000', '2026-01-01 00:00:00.000000')",
	);
	ok(defined $t->db_query($_), 'seeded') for @sql;
}

sub ids_of { my ($j) = @_; return [map { $_->{id} } @{ $j->{items} // [] }] }

sub test_lists {
	my ($t, $admin) = @_;
	my ($res, $j) = api_req($t, $admin, 'GET', 'memories/facts/');
	is($res->{status}, 200, 'facts: 200');
	keys_in_order($res, 'facts');
	is($j->{total}, 3, 'facts: total');
	is_deeply(ids_of($j), [qw(f3 f2 f1)], 'facts: newest update first');
	my ($f2) = grep { $_->{id} eq 'f2' } @{ $j->{items} };
	is_deeply($f2->{value}, { a => [1, 2] }, 'a fact value is its JSON value');
	is($f2->{agent_id}, 'agent_1', 'agent_id');
	ok(!defined $f2->{user_id}, 'user_id null');
	is($f2->{updated_at}, '2026-01-01T00:00:02Z', 'times ISO-8601 with Z');
	is($j->{items}[2]{value}, 'blue', 'a string value');
	is($j->{items}[2]{confidence}, 0.9, 'confidence');
	$j = api_ok($t, $admin, 'GET', 'memories/facts/?scope=global', undef, 200, 'facts by scope');
	is_deeply(ids_of($j), [qw(f3 f1)], '... the global ones');
	$j = api_ok($t, $admin, 'GET', 'memories/facts/?scope=global&fact_type=user_preference', undef, 200,
		'facts by scope and type');
	is_deeply([ids_of($j), $j->{total}], [['f1'], 1], '... one');
	$j = api_ok($t, $admin, 'GET', 'memories/facts/?limit=1&offset=1', undef, 200, 'a page');
	is_deeply([ids_of($j), $j->{total}], [['f2'], 3], '... the second, total before paging');
	$j = api_ok($t, $admin, 'GET', 'memories/facts/?limit=0', undef, 200, 'limit 0');
	is_deeply([ids_of($j), $j->{total}], [[], 3], '... no items, the total');
	for my $q ('limit=-1', 'limit=abc', 'limit=1001', 'offset=-1', 'offset=x') {
		for my $kind (@KINDS) {
			my ($r) = api_req($t, $admin, 'GET', "memories/$kind/?$q");
			is($r->{status}, 422, "$kind ?$q: 422");
		}
	}

	($res, $j) = api_req($t, $admin, 'GET', 'memories/episodes/');
	keys_in_order($res, 'episodes');
	is_deeply(ids_of($j), [qw(e2 e1)], 'episodes: newest start first');
	my $e1 = $j->{items}[1];
	ok($e1->{success} eq '1' && JSON::PP::is_bool($e1->{success}), 'success is a boolean');
	is_deeply([$e1->{ended_at}, $e1->{duration_ms}, $e1->{summary}], ['2026-01-02T00:00:01.500000Z', 1500, 'talked'],
		'ended_at, duration_ms, summary');
	ok(!defined $j->{items}[0]{ended_at} && !defined $j->{items}[0]{summary}, 'nulls');
	$j = api_ok($t, $admin, 'GET', 'memories/episodes/?agent_id=agent_1', undef, 200, 'episodes by agent');
	is_deeply(ids_of($j), ['e1'], '... agent_1');

	($res, $j) = api_req($t, $admin, 'GET', 'memories/procedures/');
	keys_in_order($res, 'procedures');
	is_deeply(ids_of($j), [qw(p2 p1)], 'procedures: newest first');
	is($j->{items}[0]{success_rate}, 0.5, 'success_rate 0.5 before the first use');
	is($j->{items}[1]{success_rate}, 0.75, 'success_rate succeeded / used');
	ok(JSON::PP::is_bool($j->{items}[1]{is_active}) && $j->{items}[1]{is_active}, 'is_active');
	$j = api_ok($t, $admin, 'GET', 'memories/procedures/?agent_id=agent_2', undef, 200, 'procedures by agent');
	is_deeply(ids_of($j), ['p2'], '... agent_2');

	($res, $j) = api_req($t, $admin, 'GET', 'memories/users/');
	keys_in_order($res, 'users');
	is_deeply(ids_of($j), [qw(u2 u1)], 'users: most recently seen first');
	is_deeply([@{ $j->{items}[1] }{qw(canonical_id display_name telegram_id total_conversations last_seen_at)}],
		['telegram:1', 'Ann', '1', 3, '2026-01-06T00:00:00Z'], 'MemoryUserOut values');
}

sub test_batch_deletes {
	my ($t, $admin) = @_;
	my %first = (facts => 'f1', episodes => 'e1', procedures => 'p1', users => 'u1');
	my %count = (facts => 3, episodes => 2, procedures => 2, users => 2);
	for my $kind (qw(facts episodes procedures users)) {
		my ($r) = api_req($t, $admin, 'POST', "memories/$kind/batch-delete/", { ids => [] });
		is($r->{status}, 204, "$kind: an empty list: 204");
		is(api_ok($t, $admin, 'GET', "memories/$kind/", undef, 200, "$kind listed")->{total}, $count{$kind},
			'... nothing deleted');
		for my $bad ({}, { ids => 'f1' }, { ids => [1] }, { ids => undef }, [], 'text') {
			($r) = api_req($t, $admin, 'POST', "memories/$kind/batch-delete/", $bad);
			is($r->{status}, 422, "$kind: bad body " . encode_json(ref $bad ? $bad : [$bad]) . ': 422');
		}
		my $res = $t->request('POST', "/api/v1/memories/$kind/batch-delete/",
			{ content => '{"ids": [', headers => { %{ bearer($admin) }, 'Content-Type' => 'application/json' } });
		is($res->{status}, 422, "$kind: malformed JSON: 422");
		($r) = api_req($t, $admin, 'POST', "memories/$kind/batch-delete/", { ids => [$first{$kind}, 'nope'] });
		is($r->{status}, 204, "$kind: delete one (and an unknown id): 204");
		my $j = api_ok($t, $admin, 'GET', "memories/$kind/", undef, 200, "$kind listed");
		ok($j->{total} == $count{$kind} - 1 && !grep({ $_ eq $first{$kind} } @{ ids_of($j) }), "$kind: $first{$kind} is gone");
	}
}

sub message {
	my ($type, $id, $content, %data) = @_;
	return { type => $type, data => { content => $content, defined $id ? (id => $id) : (), %data } };
}

sub seed_thread {
	my ($t, $thread, $messages, $step) = @_;
	my $res = $t->post('/api/v1/_test/checkpoints/', { thread_id => $thread, messages => $messages, step => $step // 1 });
	is($res->{status}, 204, "thread $thread: " . scalar(@$messages) . ' messages written through the store')
		or diag($res->{content});
}

# Where the store's file goes by default: beside the SQLite file, or in the
# data directory.
sub store_file {
	my ($t) = @_;
	return $t->db_url =~ m{^sqlite:///(.*)/[^/]+$} ? "$1/checkpoints.db" : $t->dir . '/data/checkpoints.db';
}

sub history_texts { my ($j) = @_; return join(',', map { "$_->{role}:$_->{text}" } @{ $j->{messages} // [] }) }

# The chat history over a thread; $file is the store's file (undef with
# CHECKPOINTS_STORE=database, where no file may ever appear).
sub test_history {
	my ($t, $admin, $alice, $bob, $file, $max) = @_;
	my $store_file = store_file($t);
	my $me = api_ok($t, $alice, 'GET', 'users/me', undef, 200, 'alice: me');
	my $wf = api_ok($t, $alice, 'POST', 'workflows/', { name => 'chat-' . random_name() }, 201, 'alice: a workflow');
	my $slug = $wf->{slug};
	my $thread = "$me->{id}:$wf->{id}";
	my $path = "workflows/$slug/chat/history";

	my $j = api_ok($t, $alice, 'GET', $path, undef, 200, 'history before anything is stored');
	is_deeply($j, { messages => [], thread_id => $thread, has_more => JSON::PP::false }, 'empty, named by the thread');
	my ($r) = api_req($t, $alice, 'DELETE', $path);
	is($r->{status}, 204, 'deleting a history that was never stored: 204');
	$j = api_ok($t, $admin, 'GET', 'memories/checkpoints/', undef, 200, 'checkpoints listed');
	is($j->{total}, 0, '... none');
	ok(!-e $store_file, 'reads, lists and deletes created no store file');

	seed_thread($t, $thread, [
		message('human', 'system_prompt_fallback', "[System instructions]\nbe brief"),
		message('human', 'h1', 'hello', additional_kwargs => { timestamp => '2026-03-01T10:00:00+00:00' }),
		message('ai', 'a1', [{ type => 'text', text => 'hi' }, { type => 'text', text => 'there' }],
			additional_kwargs => { timestamp => '2026-03-01T10:00:01.250000Z' }),
		message('ai', 'a2', '', tool_calls => [{ id => 'c1', name => 'calculator', args => { e => '1+1' } }],
			additional_kwargs => { timestamp => '2026-03-01T10:00:02Z' }),
		message('tool', 't1', '2', tool_call_id => 'c1', name => 'calculator'),
		message('ai', 'a3', 'two', response_metadata => { created => 1772359205 }),
		message('human', 'h2', 'thanks'),
	]);
	if (defined $file) {
		ok(-e $file, 'the first write created the store file');
		is(mode_of($file), '0600', '... 0600');
	} else {
		ok(!-e $store_file, 'CHECKPOINTS_STORE=database: no file');
		is($t->db_query("SELECT count(*) FROM conversation_messages WHERE thread_id = '$thread'"), 7,
			'the messages are in the main database');
	}

	$j = api_ok($t, $alice, 'GET', "$path?limit=0", undef, 200, 'the whole history');
	is(history_texts($j), "user:hello,assistant:hi\nthere,assistant:two,user:thanks",
		'human messages as user, AI text as assistant (text blocks joined with a line break, as the model reads them); '
		. 'tool calls, tool results and the system prompt skipped');
	is_deeply([map { $_->{timestamp} } @{ $j->{messages} }],
		['2026-03-01T10:00:00Z', '2026-03-01T10:00:01.250000Z', '2026-03-01T10:00:05Z', '2026-03-01T10:00:05Z'],
		'times: +00:00 written Z, response_metadata.created, else the previous message\'s');
	is($j->{has_more}, JSON::PP::false, 'has_more false');
	$j = api_ok($t, $alice, 'GET', $path, undef, 200, 'the default limit (10)');
	is(scalar @{ $j->{messages} }, 4, '... all four');
	$j = api_ok($t, $alice, 'GET', "$path?limit=2", undef, 200, 'limit=2');
	is(history_texts($j), 'assistant:two,user:thanks', '... the last two');
	is($j->{has_more}, JSON::PP::true, '... has_more');
	$j = api_ok($t, $alice, 'GET', "$path?before=2026-03-01T10:00:01.250000Z", undef, 200, 'before');
	is(history_texts($j), 'user:hello', '... strictly earlier only');
	$j = api_ok($t, $alice, 'GET', "$path?before=2026-03-01T10:00:01.300Z&limit=1", undef, 200, 'before and limit');
	is_deeply([history_texts($j), $j->{has_more}], ["assistant:hi\nthere", JSON::PP::true], '... the last of them, more left');
	($r) = api_req($t, $alice, 'GET', "$path?before=yesterday");
	is_detail($t, $r, 400, "Invalid 'before' datetime format. Use ISO 8601 (e.g. 2026-01-01T00:00:00Z).", 'a bad before');
	for my $q ('limit=-1', 'limit=x') {
		($r) = api_req($t, $alice, 'GET', "$path?$q");
		is($r->{status}, 422, "?$q: 422");
	}

	# Dedup: the same ids again replace the stored messages.
	seed_thread($t, $thread, [message('human', 'system_prompt_fallback', 'new prompt'),
		message('human', 'h2', 'thank you')], 2);
	$j = api_ok($t, $alice, 'GET', "$path?limit=0", undef, 200, 'after writing known ids');
	is(history_texts($j), "user:hello,assistant:hi\nthere,assistant:two,user:thank you",
		'replaced in place, not added');

	# Scoping: the thread is the caller's.
	($r) = api_req($t, $bob, 'GET', $path);
	is($r->{status}, 404, "another user's workflow: 404");
	($r) = api_req($t, $bob, 'DELETE', $path);
	is($r->{status}, 404, '... DELETE too');
	$j = api_ok($t, $admin, 'GET', $path, undef, 200, "an admin reads alice's workflow's history");
	my $admin_me = api_ok($t, $admin, 'GET', 'users/me', undef, 200, 'admin: me');
	is_deeply([$j->{thread_id}, scalar @{ $j->{messages} }], ["$admin_me->{id}:$wf->{id}", 0],
		"... the admin's own thread, empty");
	($r) = api_req($t, $alice, 'GET', 'workflows/nope/chat/history');
	is($r->{status}, 404, 'an unknown workflow: 404');
	is($t->get("/api/v1/$path")->{status}, 401, 'without a key: 401');

	# The checkpoints, as the admin API shows them.
	my $res;
	($res, $j) = api_req($t, $admin, 'GET', "memories/checkpoints/?thread_id=$thread");
	is($res->{status}, 200, 'checkpoints of the thread');
	keys_in_order($res, 'checkpoints');
	is($j->{total}, 2, 'two appends, two checkpoints');
	my ($new, $old) = @{ $j->{items} };
	is_deeply([@$new{qw(thread_id checkpoint_ns step source)}], [$thread, '', 2, 'loop'], 'the newest first');
	is($new->{parent_checkpoint_id}, $old->{checkpoint_id}, 'its parent is the previous one');
	ok(!defined $old->{parent_checkpoint_id}, 'the first has none');
	ok($new->{blob_size} > 0, 'blob_size');
	seed_thread($t, 'other-thread', [message('human', 'x', 'x')]);
	is(api_ok($t, $admin, 'GET', 'memories/checkpoints/', undef, 200, 'all checkpoints')->{total}, 3, '... three');
	is(api_ok($t, $admin, 'GET', 'memories/checkpoints/?limit=1&offset=2', undef, 200, 'a page')->{total}, 3,
		'... total before paging');
	for my $bad ({ thread_ids => 'x' }, { checkpoint_ids => [1] }, []) {
		($r) = api_req($t, $admin, 'POST', 'memories/checkpoints/batch-delete/', $bad);
		is($r->{status}, 422, 'checkpoints batch-delete: bad body ' . encode_json($bad) . ': 422');
	}
	($r) = api_req($t, $admin, 'POST', 'memories/checkpoints/batch-delete/', { thread_ids => undef, checkpoint_ids => [] });
	is($r->{status}, 204, 'nothing named: 204');
	($r) = api_req($t, $admin, 'POST', 'memories/checkpoints/batch-delete/', { checkpoint_ids => [$new->{checkpoint_id}] });
	is($r->{status}, 204, 'delete the newest checkpoint');
	$j = api_ok($t, $alice, 'GET', "$path?limit=0", undef, 200, 'the history');
	is(history_texts($j), "user:hello,assistant:hi\nthere,assistant:two", 'what it wrote went with it');
	($r) = api_req($t, $admin, 'POST', 'memories/checkpoints/batch-delete/', { thread_ids => ['other-thread'] });
	is($r->{status}, 204, 'delete a thread by id');
	is(api_ok($t, $admin, 'GET', 'memories/checkpoints/', undef, 200, 'all checkpoints')->{total}, 1, '... one left');

	($r) = api_req($t, $alice, 'DELETE', $path);
	is($r->{status}, 204, 'DELETE the history: 204');
	$j = api_ok($t, $alice, 'GET', $path, undef, 200, 'the history after DELETE');
	is_deeply($j->{messages}, [], '... empty');
	is(api_ok($t, $admin, 'GET', 'memories/checkpoints/', undef, 200, 'checkpoints')->{total}, 0, '... no checkpoints');

	# The bound: the thread keeps the last $max messages.
	seed_thread($t, $thread, [map { message($_ % 2 ? 'ai' : 'human', "m$_", "n$_") } 1 .. $max + 3]);
	$j = api_ok($t, $alice, 'GET', "$path?limit=0", undef, 200, 'a thread written past its bound');
	is(history_texts($j), join(',', map { ($_ % 2 ? 'assistant' : 'user') . ":n$_" } 4 .. $max + 3),
		"only the last $max messages are kept");
	($r) = api_req($t, $alice, 'DELETE', $path);
	ok(!-e $store_file, 'still no file (CHECKPOINTS_STORE=database)') unless defined $file;
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $max = 10;
	{
		my $t = PipelitTest->started(db_url => $db_url, env => { CHECKPOINT_THREAD_MAX_MESSAGES => $max }) or return;
		my $admin = make_user($t, 'root', 'root-pass-1', 'admin') or return;
		my $alice = make_user($t, 'alice', 'alice-pass-1', 'normal') or return;
		my $bob = make_user($t, 'bob', 'bob-pass-1', 'normal') or return;
		subtest access => sub { test_access($t, $admin, $alice) };
		seed_memories($t);
		subtest lists => sub { test_lists($t, $admin) };
		subtest 'batch deletes' => sub { test_batch_deletes($t, $admin) };
		subtest 'chat history (file store)' => sub {
			test_history($t, $admin, $alice, $bob, store_file($t), $max)
		};
		$t->stop;
		unlink(map { store_file($t) . $_ } '', '-wal', '-shm');
	}
	{
		my $t = PipelitTest->started(db_url => $db_url,
			env => { CHECKPOINTS_STORE => 'database', CHECKPOINT_THREAD_MAX_MESSAGES => $max }) or return;
		my $admin = make_user($t, 'root2', 'root-pass-1', 'admin') or return;
		my $alice = make_user($t, 'alice2', 'alice-pass-1', 'normal') or return;
		my $bob = make_user($t, 'bob2', 'bob-pass-1', 'normal') or return;
		subtest 'chat history (CHECKPOINTS_STORE=database)' => sub {
			test_history($t, $admin, $alice, $bob, undef, $max)
		};
		$t->stop;
	}
});

done_testing;
