# Credentials (/api/v1/credentials/...): create, list, detail, update and
# delete for every type with the spec's defaults and masks; scoping between
# two users and an admin; batch delete; hostile input (422, 404, nothing
# written); test/ and models/ against a fake provider on a local port (ok,
# 401, 500, timeout, malformed body, Anthropic headers, custom headers), and
# test/ of a SearXNG tool credential with web_search's own request (a JSON
# answer, JSON turned off, not SearXNG, unreachable, outside the outbound
# policy);
# no stored key in clear in the raw SQLite file or a pg_dump; 503 without
# FIELD_ENCRYPTION_KEY.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(sleep time);
use PipelitTest;
use PipelitAuth;
use FakeProvider;

need_nginx();

my $fp = FakeProvider->start;
my $TIMEOUT = 2;

sub cred_req {
	my ($t, $token, $method, $path, $body) = @_;
	my %o = (headers => bearer($token));
	$o{content} = $body if defined $body;
	my $res = $t->request($method, "/api/v1/credentials/$path", \%o);
	return ($res, $t->json($res));
}

sub mask_of {
	my ($s) = @_;
	return length($s) < 12 ? '****' : '****' . substr($s, -4);
}

# Creates a credential as $token; the decoded CredentialOut, or undef.
sub create {
	my ($t, $token, $body, $name) = @_;
	my ($res, $j) = cred_req($t, $token, 'POST', '', $body);
	is($res->{status}, 201, "create $name: 201") or do { diag($res->{content}); return undef };
	return $j;
}

sub test_crud_and_masks {
	my ($t, $alice, $keys) = @_;
	my $llm = create($t, $alice, { name => 'openai', credential_type => 'llm', detail => {
		provider_type => 'openai_compatible', api_key => $keys->{good}, base_url => $fp->url('/v1/'),
		custom_headers => { 'X-Pipelit-Test' => 'yes' }, ignored_key => 1 } }, 'llm') or return;
	is_deeply([sort keys %$llm], [sort qw(id name credential_type detail created_at updated_at)], 'CredentialOut keys');
	is_deeply($llm->{detail}, { provider_type => 'openai_compatible', api_key => mask_of($keys->{good}),
		base_url => $fp->url('/v1/'), organization_id => '', custom_headers => { 'X-Pipelit-Test' => '****' } },
		'llm detail with the key and the header values masked');
	like($llm->{created_at}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/, 'created_at is ISO-8601 with Z');
	unlike($t->db_query("SELECT api_key FROM llm_credentials WHERE base_credentials_id = $llm->{id}") // '',
		qr/\Q$keys->{good}\E/, 'the stored api_key is not the key');

	my $bare = create($t, $alice, { name => 'bare', credential_type => 'llm' }, 'llm without detail') or return;
	is_deeply($bare->{detail}, { provider_type => 'openai_compatible', api_key => '****', base_url => '',
		organization_id => '', custom_headers => {} }, 'llm defaults');

	my $git = create($t, $alice, { name => 'gh', credential_type => 'git',
		detail => { access_token => $keys->{git}, ssh_private_key => "-----BEGIN KEY-----\nabc\n-----END KEY-----",
			username => 'octo', webhook_secret => 'whs' } }, 'git') or return;
	is_deeply($git->{detail}, { provider => 'github', credential_type => 'token', username => 'octo',
		ssh_private_key => '****', access_token => mask_of($keys->{git}) }, 'git detail: defaults and masks');
	my $git2 = create($t, $alice, { name => 'gh2', credential_type => 'git', detail => { access_token => 'short' } },
		'git with a short token') or return;
	is($git2->{detail}{access_token}, '****', 'a short token is all stars');
	is($git2->{detail}{ssh_private_key}, '', 'no ssh key shows as ""');

	my $tool = create($t, $alice, { name => 'tool', credential_type => 'tool',
		detail => { config => { region => 'eu' }, is_preferred => 'true' } }, 'tool') or return;
	is_deeply($tool->{detail}, { tool_type => 'api', config => { region => 'eu' }, is_preferred => JSON::PP::true },
		'tool detail: default type, lax bool');

	my $gw = create($t, $alice, { name => 'tg-bot', credential_type => 'gateway',
		detail => { adapter_type => 'telegram', token => 'tg-secret-token' } }, 'gateway') or return;
	is_deeply($gw->{detail}, { gateway_credential_id => 'tg-bot', adapter_type => 'telegram' }, 'gateway detail');

	my ($res, $j) = cred_req($t, $alice, 'GET', "$llm->{id}/");
	is($res->{status}, 200, 'GET one');
	is_deeply($j, $llm, 'GET one equals what create returned');

	($res, $j) = cred_req($t, $alice, 'GET', '');
	is($j->{total}, 6, 'list total');
	is_deeply([map { $_->{id} } @{ $j->{items} }], [sort { $a <=> $b } map { $_->{id} } $llm, $bare, $git, $git2, $tool, $gw],
		'list ordered by id');
	($res, $j) = cred_req($t, $alice, 'GET', '?limit=2&offset=1');
	is_deeply([map { $_->{id} } @{ $j->{items} }], [$bare->{id}, $git->{id}], 'limit and offset page');
	is($j->{total}, 6, 'total counts before paging');

	sleep 0.01;
	($res, $j) = cred_req($t, $alice, 'PATCH', "$bare->{id}/", { name => 'renamed', detail => { api_key => $keys->{bad},
		base_url => $fp->url('/v1') } });
	is($res->{status}, 200, 'PATCH') or diag($res->{content});
	is($j->{name}, 'renamed', 'PATCH renames');
	is($j->{detail}{api_key}, mask_of($keys->{bad}), 'PATCH sets the key');
	is($j->{detail}{provider_type}, 'openai_compatible', 'PATCH keeps what it was not given');
	ok($j->{updated_at} ge $bare->{updated_at}, 'updated_at moves');
	($res, $j) = cred_req($t, $alice, 'PATCH', "$gw->{id}/", { detail => { adapter_type => 'slack', token => 'x' } });
	is($j->{detail}{adapter_type}, 'slack', 'PATCH a gateway adapter_type');
	return { llm => $llm, bad => $bare, git => $git, git2 => $git2, tool => $tool, gw => $gw };
}

sub test_scoping {
	my ($t, $alice, $bob, $admin, $c) = @_;
	my $id = $c->{llm}{id};
	my ($res, $j) = cred_req($t, $bob, 'GET', '');
	is($j->{total}, 0, 'bob sees none of alice\'s credentials');
	for my $case (['GET', "$id/"], ['PATCH', "$id/", { name => 'x' }], ['DELETE', "$id/"], ['POST', "$id/test/"],
		['GET', "$id/models/"]) {
		($res) = cred_req($t, $bob, @$case);
		is_detail($t, $res, 404, 'Credential not found.', "bob $case->[0] $case->[1]");
	}
	($res, $j) = cred_req($t, $admin, 'GET', "$id/");
	is($res->{status}, 200, 'an admin sees alice\'s credential');
	($res, $j) = cred_req($t, $admin, 'GET', '');
	is($j->{total}, 6, 'an admin lists every credential');
	my $own = create($t, $bob, { name => 'bobs', credential_type => 'tool' }, 'bob\'s own') or return;
	($res) = cred_req($t, $bob, 'POST', 'batch-delete/', { ids => [$id, $c->{git}{id}] });
	is($res->{status}, 204, 'bob batch-deletes alice\'s ids: 204');
	is(row_count($t, 'credentials'), 7, 'but nothing of alice\'s is gone');
	($res) = cred_req($t, $bob, 'DELETE', "$own->{id}/");
	is($res->{status}, 204, 'bob deletes his own');
	($res) = cred_req($t, $bob, 'GET', "$own->{id}/");
	is($res->{status}, 404, 'and it is gone');
}

sub test_hostile {
	my ($t, $alice, $c) = @_;
	my $before = row_count($t, 'credentials');
	my $huge = 'x' x 300;
	my @cases = (
		['unknown type', 'POST', '', { name => 'a', credential_type => 'ssh' }, 'literal_error', ['body', 'credential_type']],
		['name missing', 'POST', '', { credential_type => 'llm' }, 'missing', ['body', 'name']],
		['name a number', 'POST', '', { name => 5, credential_type => 'llm' }, 'string_type', ['body', 'name']],
		['name too long', 'POST', '', { name => $huge, credential_type => 'llm' }, 'string_too_long', ['body', 'name']],
		['detail a string', 'POST', '', { name => 'a', credential_type => 'llm', detail => 'x' }, 'dict_type', ['body', 'detail']],
		['api_key a number', 'POST', '', { name => 'a', credential_type => 'llm', detail => { api_key => 5 } },
			'string_type', ['body', 'detail', 'api_key']],
		['huge api_key', 'POST', '', { name => 'a', credential_type => 'llm', detail => { api_key => 'k' x 20000 } },
			'string_too_long', ['body', 'detail', 'api_key']],
		['header injection', 'POST', '', { name => 'a', credential_type => 'llm',
			detail => { custom_headers => { 'X-A' => "v\r\nX-Evil: 1" } } }, 'value_error', ['body', 'detail', 'custom_headers']],
		['is_preferred not a bool', 'POST', '', { name => 'a', credential_type => 'tool', detail => { is_preferred => 'maybe' } },
			'bool_parsing', ['body', 'detail', 'is_preferred']],
		['body a list', 'POST', '', [1, 2], undef, undef],
		['non-integer id', 'GET', 'abc/', undef, 'int_parsing', ['path', 'credential_id']],
		['PATCH non-integer id', 'PATCH', '1x/', { name => 'a' }, 'int_parsing', ['path', 'credential_id']],
		['PATCH detail a list', 'PATCH', "$c->{llm}{id}/", { detail => [1] }, 'dict_type', ['body', 'detail']],
		['PATCH name too long', 'PATCH', "$c->{llm}{id}/", { name => $huge }, 'string_too_long', ['body', 'name']],
		['batch ids missing', 'POST', 'batch-delete/', {}, 'missing', ['body', 'ids']],
		['batch ids not a list', 'POST', 'batch-delete/', { ids => 3 }, 'list_type', ['body', 'ids']],
		['batch id not an int', 'POST', 'batch-delete/', { ids => [$c->{llm}{id}, 'x'] }, 'int_parsing', ['body', 'ids', 1]],
	);
	for my $case (@cases) {
		my ($name, $method, $path, $body, $type, $loc) = @$case;
		my ($res, $j) = cred_req($t, $alice, $method, $path, $body);
		is_validation($t, $res, $name) or next;
		next unless defined $type;
		my ($item) = grep { $_->{type} eq $type } @{ $j->{detail} // [] };
		ok($item, "$name: an item of type $type") or diag($res->{content});
		is_deeply($item->{loc}, $loc, "$name: loc") if $item;
	}
	my ($res) = $t->request('POST', '/api/v1/credentials/', { headers => { %{ bearer($alice) },
		'Content-Type' => 'application/json' }, content => '{"name": "a", ' });
	is_validation($t, $res, 'invalid JSON');
	for my $case (['GET', '999999/'], ['PATCH', '999999/', { name => 'x' }], ['DELETE', '999999/'], ['POST', '999999/test/'],
		['GET', '999999/models/'], ['GET', '-1/']) {
		($res) = cred_req($t, $alice, @$case);
		is_detail($t, $res, 404, 'Credential not found.', "unknown id: $case->[0] $case->[1]");
	}
	is(row_count($t, 'credentials'), $before, 'hostile requests wrote nothing');
	my ($r2, $j) = cred_req($t, $alice, 'GET', "$c->{llm}{id}/");
	is($j->{name}, 'openai', 'and changed nothing');
	($res) = cred_req($t, $alice, 'GET', '?limit=-1');
	is_validation($t, $res, 'negative limit');
	($res) = cred_req($t, $alice, 'GET', '?offset=x');
	is_validation($t, $res, 'non-integer offset');
}

sub probe {
	my ($t, $token, $id) = @_;
	my ($res, $j) = cred_req($t, $token, 'POST', "$id/test/");
	is($res->{status}, 200, "test/ of $id answers 200") or diag($res->{content});
	return ($j // {}, $res->{content} // '');
}

# A SearXNG tool credential is tested with the request web_search sends.
sub test_searxng {
	my ($t, $alice) = @_;
	my %sx;
	for my $mode (qw(ok nojson html)) {
		$sx{$mode} = create($t, $alice, { name => "searx-$mode", credential_type => 'tool',
			detail => { tool_type => 'searxng', config => { url => $fp->url("/searx-$mode/") } } }, "searxng $mode") or return;
	}
	$fp->clear_requests;
	my ($j) = probe($t, $alice, $sx{ok}{id});
	is_deeply($j, { ok => JSON::PP::true, error => '', detail => undef }, 'a SearXNG that answers in JSON: ok');
	my $seen = $fp->last_request // {};
	is($seen->{target}, '/searx-ok/search?q=pipelit&format=json', 'with the search web_search makes, a harmless query');
	($j) = probe($t, $alice, $sx{nojson}{id});
	is($j->{ok}, JSON::PP::false, 'a SearXNG with its JSON format off: not ok');
	like($j->{error}, qr/403.*JSON format/, 'the error says to turn the JSON format on');
	($j) = probe($t, $alice, $sx{html}{id});
	is($j->{ok}, JSON::PP::false, 'an address that is not SearXNG: not ok');
	like($j->{error}, qr/not a SearXNG search result/, 'the error says so');

	my $down = create($t, $alice, { name => 'searx-down', credential_type => 'tool',
		detail => { tool_type => 'searxng', config => { url => 'http://127.0.0.1:' . free_port() } } }, 'searxng down') or return;
	($j) = probe($t, $alice, $down->{id});
	is($j->{ok}, JSON::PP::false, 'an unreachable SearXNG: not ok');
	like($j->{error}, qr/connect|refused/i, 'the error is curl\'s message');

	my $far = create($t, $alice, { name => 'searx-far', credential_type => 'tool', detail => { tool_type => 'searxng',
		config => { url => 'http://127.0.0.2:' . $fp->port . '/searx-ok' } } }, 'searxng outside the policy') or return;
	$fp->clear_requests;
	($j) = probe($t, $alice, $far->{id});
	is($j->{ok}, JSON::PP::false, 'a SearXNG outside PIPELIT_OUTBOUND_ALLOW: not ok');
	is(scalar(() = $fp->requests), 0, 'and nothing was sent');

	my $none = create($t, $alice, { name => 'searx-none', credential_type => 'tool',
		detail => { tool_type => 'searxng', config => {} } }, 'searxng without a URL') or return;
	($j) = probe($t, $alice, $none->{id});
	is($j->{ok}, JSON::PP::false, 'a SearXNG credential without a URL: not ok');
	like($j->{error}, qr/no http or https URL/, 'the error says what is missing');
}

sub test_probes {
	my ($t, $alice, $keys, $c) = @_;
	$fp->clear_requests;
	my ($j, $raw) = probe($t, $alice, $c->{llm}{id});
	is_deeply($j, { ok => JSON::PP::true, error => '', detail => undef }, 'a good key: ok');
	my $seen = $fp->last_request // {};
	is($seen->{path}, '/v1/models', 'the probe asked GET /v1/models');
	is($seen->{headers}{authorization}, "Bearer $keys->{good}", 'with the key as a Bearer token');
	is($seen->{headers}{'x-pipelit-test'}, 'yes', 'and the custom header');

	($j, $raw) = probe($t, $alice, $c->{bad}{id});
	is_deeply($j, { ok => JSON::PP::false, error => 'Authentication failed - invalid API key', detail => undef },
		'a rejected key: authentication failed');

	my %made;
	for my $kind (qw(boom slow junk huge redir)) {
		$made{$kind} = create($t, $alice, { name => $kind, credential_type => 'llm',
			detail => { api_key => $keys->{$kind}, base_url => $fp->url('/v1') } }, $kind) or return;
	}
	($j, $raw) = probe($t, $alice, $made{boom}{id});
	is($j->{ok}, JSON::PP::false, 'a 500: not ok');
	is($j->{error}, 'the provider answered HTTP 500', 'the error is the status, not the provider\'s text body');
	unlike($raw, qr/\Q$keys->{boom}\E/, 'the key echoed by the provider is not returned');

	my $start = time;
	($j, $raw) = probe($t, $alice, $made{slow}{id});
	my $took = time - $start;
	is($j->{ok}, JSON::PP::false, 'a slow provider: not ok');
	like($j->{error}, qr/timed out/i, 'the error says it timed out') or diag($raw);
	ok($took < $TIMEOUT + 4, sprintf('the probe gave up after about %d s (took %.1f s)', $TIMEOUT, $took));

	($j) = probe($t, $alice, $made{junk}{id});
	is($j->{ok}, JSON::PP::true, 'a 200 with a malformed body still proves the key');
	($j) = probe($t, $alice, $made{huge}{id});
	is($j->{ok}, JSON::PP::false, 'an answer over 1 MiB: not ok');
	like($j->{error} // '', qr/larger than/, 'the error says it was too large');
	($j) = probe($t, $alice, $made{redir}{id});
	is($j->{ok}, JSON::PP::false, 'a redirect to another host is not followed');

	my $ant = create($t, $alice, { name => 'claude', credential_type => 'llm', detail => { provider_type => 'anthropic',
		api_key => $keys->{good}, base_url => $fp->url('') } }, 'anthropic') or return;
	$fp->clear_requests;
	($j) = probe($t, $alice, $ant->{id});
	is($j->{ok}, JSON::PP::true, 'anthropic: ok');
	$seen = $fp->last_request // {};
	is($seen->{path}, '/v1/models', 'anthropic: GET /v1/models');
	is($seen->{headers}{'x-api-key'}, $keys->{good}, 'anthropic: x-api-key');
	is($seen->{headers}{'anthropic-version'}, '2023-06-01', 'anthropic: anthropic-version');
	ok(!exists $seen->{headers}{authorization}, 'anthropic: no Authorization header');

	my $down = create($t, $alice, { name => 'down', credential_type => 'llm', detail => { api_key => $keys->{good},
		base_url => 'http://127.0.0.1:' . free_port() . '/v1' } }, 'unreachable') or return;
	($j) = probe($t, $alice, $down->{id});
	is($j->{ok}, JSON::PP::false, 'an unreachable provider: not ok');
	like($j->{error}, qr/connect|refused/i, 'the error is curl\'s message');

	my @expected = ({ id => 'alpha-small', name => 'alpha-small' }, { id => 'mid-0', name => 'mid-0' },
		{ id => 'zeta-large', name => 'zeta-large' });
	my ($res, $list) = cred_req($t, $alice, 'GET', "$c->{llm}{id}/models/");
	is($res->{status}, 200, 'models/ answers');
	is_deeply($list, \@expected, 'models/: entries with an id, sorted, name == id');
	($res, $list) = cred_req($t, $alice, 'GET', "$ant->{id}/models/");
	is_deeply($list, \@expected, 'models/ of anthropic');
	($res, $list) = cred_req($t, $alice, 'GET', "$made{junk}{id}/models/");
	is_deeply($list, [], 'models/ with a malformed answer: []');
	($res, $list) = cred_req($t, $alice, 'GET', "$c->{bad}{id}/models/");
	is_deeply($list, [], 'models/ with a rejected key: []');

	($res) = cred_req($t, $alice, 'GET', "$c->{git}{id}/models/");
	is_detail($t, $res, 404, 'LLM credential not found.', 'models/ of a git credential');
	($res) = cred_req($t, $alice, 'POST', "$c->{tool}{id}/test/");
	is_detail($t, $res, 404, 'LLM credential not found.', 'test/ of a tool credential other than SearXNG');
	test_searxng($t, $alice);
	($j) = probe($t, $alice, $c->{gw}{id});
	is_deeply($j, { ok => JSON::PP::false, error => 'no message gateway is configured', detail => undef },
		'test/ of a gateway credential');
	($res) = cred_req($t, $alice, 'POST', "$c->{gw}{id}/activate/");
	is_detail($t, $res, 502, 'no message gateway is configured', 'activate/ of a gateway credential');
	($res) = cred_req($t, $alice, 'POST', "$c->{llm}{id}/deactivate/");
	is_detail($t, $res, 404, 'Gateway credential not found.', 'deactivate/ of an llm credential');
	unlike($t->log_text, qr/\Q$keys->{good}\E|\Q$keys->{boom}\E/, 'the log holds no API key');
}

sub test_at_rest {
	my ($t, $backend, $keys) = @_;
	my $text = $backend eq 'sqlite' ? sqlite_files_text($t) : pg_dump_text($t);
	ok(defined $text && length $text, "the $backend data can be read") or return;
	for my $k (sort keys %$keys) {
		ok(index($text, $keys->{$k}) < 0, "the $backend data does not contain the $k key");
	}
}

sub test_batch_delete {
	my ($t, $alice, $c) = @_;
	my $before = row_count($t, 'credentials');
	my ($res) = cred_req($t, $alice, 'POST', 'batch-delete/', { ids => [$c->{git}{id}, "$c->{git2}{id}", 999999] });
	is($res->{status}, 204, 'batch-delete: 204');
	is(row_count($t, 'credentials'), $before - 2, 'two rows gone (the unknown id is skipped)');
	is(row_count($t, 'git_credentials'), 0, 'their detail rows too');
	($res) = cred_req($t, $alice, 'POST', 'batch-delete/', { ids => [] });
	is($res->{status}, 204, 'an empty list is a no-op');
	my $tools = row_count($t, 'tool_credentials');
	($res) = cred_req($t, $alice, 'DELETE', "$c->{tool}{id}/");
	is($res->{status}, 204, 'DELETE one');
	is(row_count($t, 'tool_credentials'), $tools - 1, 'its detail row goes with it');
}

sub test_without_key {
	my ($db_url) = @_;
	my $t = PipelitTest->started(db_url => $db_url, env => { FIELD_ENCRYPTION_KEY => undef },
		name => 'the stack starts without FIELD_ENCRYPTION_KEY') or return;
	my $token = login($t, 'alice', 'alice-pass-1') or return fail('alice logs in');
	for my $case (['GET', ''], ['POST', '', { name => 'a', credential_type => 'llm' }], ['GET', '1/'],
		['PATCH', '1/', { name => 'b' }], ['DELETE', '1/'], ['POST', 'batch-delete/', { ids => [1] }],
		['POST', '1/test/'], ['GET', '1/models/']) {
		my ($res, $j) = cred_req($t, $token, @$case);
		is($res->{status}, 503, "without a key: $case->[0] $case->[1] is 503");
		like(ref $j eq 'HASH' ? $j->{detail} : '', qr/FIELD_ENCRYPTION_KEY/, 'and names the setting');
	}
	my ($res) = $t->get('/api/v1/auth/me/', bearer($token));
	is($res->{status}, 200, 'everything else still works');
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my %keys = map { $_ => "$_-" . random_name() . random_name() } qw(good bad boom slow junk huge redir);
	$keys{git} = 'ghp_' . random_name() . random_name();
	{
		my $t = PipelitTest->started(db_url => $db_url, env => { PIPELIT_OUTBOUND_TIMEOUT_SECONDS => $TIMEOUT,
			PIPELIT_OUTBOUND_ALLOW => '127.0.0.1' }) or return;
		my $admin = make_user($t, 'root', 'root-pass-1', 'admin') or return;
		my $alice = make_user($t, 'alice', 'alice-pass-1', 'normal') or return;
		my $bob = make_user($t, 'bob', 'bob-pass-1', 'normal') or return;
		my $c = test_crud_and_masks($t, $alice, \%keys) or return;
		subtest scoping => sub { test_scoping($t, $alice, $bob, $admin, $c) };
		subtest hostile => sub { test_hostile($t, $alice, $c) };
		subtest probes => sub { test_probes($t, $alice, \%keys, $c) };
		subtest 'at rest' => sub { test_at_rest($t, $backend, \%keys) };
		subtest 'batch delete' => sub { test_batch_delete($t, $alice, $c) };
		$t->stop;
	}
	subtest 'without a key' => sub { test_without_key($db_url) };
});

$fp->stop;
done_testing;
