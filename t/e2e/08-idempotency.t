# Creates are answered from what they wrote, and Idempotency-Key makes a
# retried create safe (doc/errors.md).
# - A failure right after a create's commit (the test route arms one: the
#   next statement fails as if the server restarted) does not turn the
#   create into an error: it is answered 201, and exists once.
# - The same key from the same user returns the first answer (status and
#   body) and creates nothing, for workflows, imports, nodes, edges and
#   credentials;
#   the same key with another body is a 422; another user's same key is
#   theirs; an API key's replay is a 409 naming the key (its secret is
#   never stored); concurrent requests with one key create once; a record
#   past 24 hours no longer counts and is cleared by the next create.
# Both backends.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use PipelitTest;
use PipelitAuth;

need_nginx();

sub post_key {
	my ($t, $token, $path, $body, $key) = @_;
	my %h = (%{ bearer($token) }, 'Content-Type' => 'application/json');
	$h{'Idempotency-Key'} = $key if defined $key;
	# Canonical JSON: a retry sends the same bytes, as a client's retry does.
	my $text = JSON::PP->new->canonical->encode($body);
	my $res = $t->request('POST', "/api/v1/$path", { content => $text, headers => \%h });
	return ($res, $t->json($res));
}

sub total {
	my ($t, $token, $path) = @_;
	my (undef, $j) = api_req($t, $token, 'GET', $path);
	return ref $j eq 'HASH' ? $j->{total} : ref $j eq 'ARRAY' ? scalar @$j : undef;
}

sub sql {
	my ($backend, $url, $sql) = @_;
	if ($backend eq 'sqlite') {
		(my $path = $url) =~ s{^sqlite:///}{};
		return run_command(cmd => ['sqlite3', $path, $sql], timeout => 30);
	}
	return PipelitTest::psql($url, $sql);
}

sub test_fault_after_commit {
	my ($db_url) = @_;
	# One responder: the armed fault and the create meet in the same process.
	my $t = PipelitTest->started(db_url => $db_url, responders => 1) or return;
	my $alice = make_user($t, 'alice', 'alice-password-1', 'admin') or return;
	is($t->post('/api/v1/_test/fault-after-commit/', '')->{status}, 200, 'a fault after the next commit is armed');
	my ($res, $j) = post_key($t, $alice, 'workflows/', { name => 'After Commit' });
	is($res->{status}, 201, 'a create whose next statement would fail is answered 201')
		or diag($res->{content});
	is(ref $j eq 'HASH' ? $j->{slug} : '', 'after-commit', 'with what it wrote');
	# The armed failure meets the next request's first statement instead.
	my $n;
	for (1 .. 3) { $n = total($t, $alice, 'workflows/'); last if defined $n }
	is($n, 1, 'the workflow exists once');
	$t->stop;
}

sub replayed_ok {
	my ($t, $token, $path, $body, $key, $what) = @_;
	my ($first, $j1) = post_key($t, $token, $path, $body, $key);
	is($first->{status}, 201, "$what: created") or diag($first->{content});
	ok(!$first->{headers}{'idempotent-replayed'}, "$what: the first answer is no replay");
	my ($again, $j2) = post_key($t, $token, $path, $body, $key);
	is($again->{status}, 201, "$what: the same key again answers 201");
	is($again->{content}, $first->{content}, "$what: with the first answer's body");
	is($again->{headers}{'idempotent-replayed'}, 'true', "$what: marked Idempotent-Replayed");
	my $other = { %$body, name => ($body->{name} // 'x') . ' changed' };
	my ($diff, $jd) = post_key($t, $token, $path, $other, $key);
	is_detail($t, $diff, 422, qr/Idempotency-Key was already used with a different request/,
		"$what: the same key with another body");
	return $j1;
}

sub test_keys {
	my ($backend, $db_url) = @_;
	my $t = PipelitTest->started(db_url => $db_url, responders => 3) or return;
	my $alice = login($t, 'alice', 'alice-password-1') or return fail('alice logs in');
	my $bob = make_user($t, 'bob', 'bob-password-1', 'normal') or return;

	my $w = replayed_ok($t, $alice, 'workflows/', { name => 'Keyed' }, 'wf-1', 'workflow') or return;
	is(total($t, $alice, 'workflows/'), 2, 'one workflow more, not two');
	my ($res, $j) = post_key($t, $bob, 'workflows/', { name => 'Keyed' }, 'wf-1');
	is($res->{status}, 201, "another user's same key is theirs");
	is(total($t, $bob, 'workflows/'), 1, 'bob has his workflow');

	my $slug = $w->{slug};
	my $n1 = replayed_ok($t, $alice, "workflows/$slug/nodes/", { component_type => 'agent', node_id => 'a1' },
		'node-1', 'node');
	post_key($t, $alice, "workflows/$slug/nodes/", { component_type => 'agent', node_id => 'a2' });
	is(total($t, $alice, "workflows/$slug/nodes/"), 2, 'nodes created once each');
	replayed_ok($t, $alice, "workflows/$slug/edges/", { source_node_id => 'a1', target_node_id => 'a2' },
		'edge-1', 'edge');
	is(total($t, $alice, "workflows/$slug/edges/"), 1, 'the edge created once');

	my (undef, $doc) = api_req($t, $alice, 'GET', "workflows/$slug/export/");
	my $before = total($t, $alice, 'workflows/');
	my ($i1) = post_key($t, $alice, 'workflows/import/', $doc, 'import-1');
	is($i1->{status}, 201, 'import: created') or diag($i1->{content});
	my ($i2) = post_key($t, $alice, 'workflows/import/', $doc, 'import-1');
	is($i2->{status}, 201, 'import: the same key again answers 201');
	is($i2->{content}, $i1->{content}, 'import: with the first answer');
	is(total($t, $alice, 'workflows/'), $before + 1, 'import: one workflow more, not two');

	replayed_ok($t, $alice, 'credentials/',
		{ name => 'Keyed LLM', credential_type => 'llm', detail => { provider_type => 'openai',
			api_key => 'sk-test-1234567890', base_url => '' } }, 'cred-1', 'credential');
	is(total($t, $alice, 'credentials/'), 1, 'the credential created once');

	my ($k1, $kj) = post_key($t, $alice, 'users/me/keys', { name => 'ci' }, 'key-1');
	is($k1->{status}, 201, 'an API key is created');
	ok(($kj->{key} // '') ne '', 'with its secret, shown once');
	my ($k2, $kj2) = post_key($t, $alice, 'users/me/keys', { name => 'ci' }, 'key-1');
	is($k2->{status}, 409, 'its replay is a 409');
	like($kj2->{detail} // '', qr/already created API key $kj->{id} \("ci"\)/, 'naming the key created');
	unlike($k2->{content}, qr/\Q$kj->{key}\E/, 'never its secret');
	my (undef, $keys) = api_req($t, $alice, 'GET', 'users/me/keys');
	is(scalar(grep { $_->{name} eq 'ci' } @{ ref $keys eq 'ARRAY' ? $keys : $keys->{items} // [] }), 1,
		'one key named ci');

	my @st = run_in_children(6, sub {
		my ($r) = post_key($t, $alice, 'workflows/', { name => 'Raced' }, 'race-1');
		return $r->{status} == 201 ? 0 : 1;
	});
	is_deeply(\@st, [(0) x 6], 'six concurrent requests with one key all get 201');
	my (undef, $list) = api_req($t, $alice, 'GET', 'workflows/?limit=100');
	is(scalar(grep { $_->{name} eq 'Raced' } @{ $list->{items} // [] }), 1, 'and created one workflow');

	my ($rc, $out) = sql($backend, $db_url, "UPDATE idempotency_keys SET created_at = created_at - 86401 "
		. "WHERE idem_key = 'wf-1'");
	is($rc, 0, 'the first key is made older than 24 hours') or diag($out);
	($res, $j) = post_key($t, $alice, 'workflows/', { name => 'Keyed' }, 'wf-1');
	is($res->{status}, 201, 'an expired key creates anew');
	isnt($j->{slug}, $slug, 'a new workflow');
	($rc, $out) = sql($backend, $db_url, "SELECT COUNT(*) FROM idempotency_keys WHERE created_at < "
		. (time - 86400));
	is($out =~ s/\s+//gr, '0', 'expired records are cleared by the next create');
	is_detail($t, (post_key($t, $alice, 'workflows/', { name => 'x' }, 'k' x 256))[0], 422,
		qr/Idempotency-Key must be/, 'a key longer than 255 characters');
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	test_fault_after_commit($db_url);
	test_keys($backend, $db_url);
});

done_testing();
