# The logic node kinds (src/nodes/, doc/nodes.md) run by the engine, as a
# user sees them: what a workflow answers (its final output) and how it
# ends.  Switch rules and fallback, assertion pass/fail routes along
# conditional edges, router, filter, merge's combine, wait's text, and rules that
# cannot be evaluated: a pattern that does not compile or that backtracks
# catastrophically fails the execution at once, with no retry.  Both
# backends.  (t/e2e/70-engine.t runs switch, merge, loop, wait,
# human_confirmation and workflow through their engine paths.)
use strict;
use warnings;
use Test::More;
use JSON::PP;
use PipelitTest;
use PipelitAuth;
use PipelitEngine;

need_nginx();

sub reply { my ($id, $msg) = @_; return { node_id => $id, component_type => 'reply_chat', config => { extra_config => { message => $msg } } } }
sub trigger { return { node_id => 'start', component_type => 'trigger_manual' } }
sub kind { my ($id, $type, %extra) = @_; return { node_id => $id, component_type => $type, config => { extra_config => {%extra} } } }
sub cond { return { edge_type => 'conditional', condition_value => $_[0] } }

sub output_of {
	my ($t, $slug, @args) = @_;
	my $id = run_workflow($t, $slug, @args) or return (undef, {});
	my $row = wait_execution($t, $id);
	is($row->{status}, 'completed', "$slug (@args) completes") or diag($row->{error} . "\n" . $t->log_tail);
	return ($id, decode_json($row->{output} // 'null') // {});
}

sub test_routes {
	my ($t, $tok) = @_;
	build_workflow($t, $tok, 'routes', [trigger(),
		kind('sw', 'switch', enable_fallback => JSON::PP::true, rules => [
			{ id => 'billing', field => 'trigger.text', operator => 'matches_regex', value => '(?i)\binvoice\b' },
			{ id => 'big', field => 'trigger.amount', operator => 'gt', value => '100' }]),
		reply('r_billing', 'billing'), reply('r_big', 'big'), reply('r_other', 'other: {{ sw.route }}')],
		[['start', 'sw'], ['sw', 'r_billing', cond('billing')], ['sw', 'r_big', cond('big')],
		 ['sw', 'r_other', cond('__other__')]]) or return;
	my (undef, $out) = output_of($t, 'routes', '--payload', '{"text": "My INVOICE is wrong", "amount": 5}');
	is_deeply($out, { output => 'billing' }, 'a regex rule routes (case-insensitive, word bounded)');
	(undef, $out) = output_of($t, 'routes', '--payload', '{"text": "hello", "amount": "250.5"}');
	is_deeply($out, { output => 'big' }, 'a numeric rule routes on a numeric string');
	(undef, $out) = output_of($t, 'routes', '--payload', '{"text": "invoices", "amount": "lots"}');
	is_deeply($out, { output => 'other: __other__' }, 'no rule matches: the __other__ route');

	build_workflow($t, $tok, 'router', [trigger(),
		kind('rt', 'router', condition_expression => "trigger.text == 'go'"), reply('r', '[{{ rt.route }}]')],
		[['start', 'rt'], ['rt', 'r']]) or return;
	(undef, $out) = output_of($t, 'router', '--text', 'go');
	is_deeply($out, { output => '[go]' }, "router: trigger.text == 'go' gives go");
	(undef, $out) = output_of($t, 'router', '--text', 'stop');
	is_deeply($out, { output => '[]' }, 'and "" otherwise');

	build_workflow($t, $tok, 'gate', [trigger(),
		kind('check', 'assertion', rules => [ { field => 'trigger.text', operator => 'is_not_empty' },
						      { field => 'trigger.text', operator => 'length_lte', value => '5' } ]),
		reply('ok', 'passed'), reply('bad', 'failed {{ check.output.results | selectattr("passed", "false") | list | length }}')],
		[['start', 'check'], ['check', 'ok', cond('pass')], ['check', 'bad', cond('fail')]]) or return;
	(undef, $out) = output_of($t, 'gate', '--text', 'short');
	is_deeply($out, { output => 'passed' }, 'assertion: every rule holds, the pass route');
	(undef, $out) = output_of($t, 'gate', '--text', 'far too long');
	is_deeply($out, { output => 'failed 1' }, 'one does not: the fail route');
}

sub test_data_nodes {
	my ($t, $tok) = @_;
	build_workflow($t, $tok, 'people', [trigger(),
		kind('adults', 'filter', source_node => 'start', field => 'payload',
			rules => [ { field => 'age', operator => 'gte', value => '18' } ]),
		kind('check', 'assertion', rules => [
			{ field => 'node_outputs.adults.filtered', operator => 'length_eq', value => '2' },
			{ field => 'trigger.when', operator => 'after', value => '2024-01-01T00:00:00Z' }]),
		kind('both', 'merge', mode => 'combine', source_nodes => ['adults', 'names']),
		reply('names', '{{ adults.filtered | map(attribute="name") | join(",") }}'),
		reply('end', '{{ names.output }} / {{ check.output.passed }} / {{ both.merged | list | join(",") }}')],
		[['start', 'adults'], ['adults', 'check'], ['check', 'names'], ['names', 'both'], ['both', 'end']]) or return;
	my ($id, $out) = output_of($t, 'people', '--payload',
		'{"text": "x", "when": "2024-06-01T10:00:00", "payload": [{"name": "ann", "age": 31}, {"name": "bob", "age": "17"}, {"name": "cy", "age": "18"}]}');
	is_deeply($out, { output => 'ann,cy / True / filtered,output' },
		'filter keeps the adults; the assertion passes (a naive time counts as UTC); combine merges the ports');
	my $check = $t->db_query("SELECT output FROM execution_logs WHERE execution_id = '$id' AND node_id = 'check'");
	like($check // '', qr/"check":"trigger\.when after 2024-01-01T00:00:00Z"/, "the assertion's report names each check");

	build_workflow($t, $tok, 'waited', [trigger(), kind('w', 'wait', duration => '0.5'), reply('r', '{{ w.output }}')],
		[['start', 'w'], ['w', 'r']]) or return;
	(undef, $out) = output_of($t, 'waited');
	is_deeply($out, { output => 'Waited 0.5 seconds' }, "wait's output prints the duration as Python does");
}

sub test_rules_that_fail {
	my ($t, $tok) = @_;
	# The pattern comes from the trigger, so it is only known at run time.
	build_workflow($t, $tok, 'patterns', [trigger(),
		kind('sw', 'switch', rules => [ { id => 'hit', field => 'trigger.subject', operator => 'matches_regex', value => '{{ trigger.pattern }}' } ]),
		reply('hit', 'matched')],
		[['start', 'sw'], ['sw', 'hit', cond('hit')]]) or return;
	my ($id) = output_of($t, 'patterns', '--payload', '{"pattern": "^a+$", "subject": "aaa"}');
	ok($id, 'a good pattern runs');

	$id = run_workflow($t, 'patterns', '--payload', '{"pattern": "(unclosed", "subject": "x"}') or return;
	my $row = wait_execution($t, $id);
	is($row->{status}, 'failed', 'a pattern that does not compile fails the execution');
	like($row->{error}, qr/^Node sw: matches_regex: bad regular expression '\(unclosed'/, 'saying which node and why');
	is_deeply(log_rows($t, $id), ['sw|failed|1'], 'without a retry');
	is($t->db_query("SELECT error_code FROM execution_logs WHERE execution_id = '$id'"), 'bad_regex', 'logged as bad_regex');

	my $subject = ('a' x 20000) . '!';
	$id = run_workflow($t, 'patterns', '--payload', qq({"pattern": "(a+)+\$", "subject": "$subject"})) or return;
	$row = wait_execution($t, $id);
	is($row->{status}, 'failed', 'a catastrophic pattern fails the execution instead of holding the executor');
	like($row->{error}, qr/backtracks too much/, 'saying why');
	is_deeply(log_rows($t, $id), ['sw|failed|1'], 'without a retry');
	is($t->db_query("SELECT error_code FROM execution_logs WHERE execution_id = '$id'"), 'regex_limit', 'logged as regex_limit');
	(undef, my $out) = output_of($t, 'patterns', '--payload', '{"pattern": "^b", "subject": "bee"}');
	is_deeply($out, { output => 'matched' }, 'and the executor goes on with the next execution');
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $t = PipelitTest->started(db_url => $db_url) or return;
	my $alice = make_user($t, 'alice', 'alice-pass-1', 'normal') or return;
	subtest routes => sub { test_routes($t, $alice) };
	subtest data_nodes => sub { test_data_nodes($t, $alice) };
	subtest rules_that_fail => sub { test_rules_that_fail($t, $alice) };
});

done_testing();
