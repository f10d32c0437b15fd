# Workflow budgets (doc/budgets.md): the budget field on create, patch,
# export and import with its 422s; today's usage in workflow answers and
# budget_used in execution answers, fed by LLM calls reserved and settled
# through model/budget.h (t/budget-tool, as the agent node does) at the
# pricing table's prices, adding up exactly; a call that could pass a
# limit refused with the figures; reservations left by a dead executor
# charged at their estimate; a USD limit over a model with no price
# refused before a run; and 20 processes racing for a budget that allows
# 5 calls get exactly 5.  Answers are checked against the OpenAPI
# document.  Both backends.
use strict;
use warnings;
use Test::More;
use File::Basename qw(dirname);
use JSON::PP;
use POSIX qw(strftime);
use PipelitTest;
use PipelitAuth;
use OpenAPISchema;

need_nginx();

my $TOOL = dirname(pipelit_bin()) . '/t/budget-tool';
my $OA = OpenAPISchema->new(decode_json(PipelitTest::slurp(srcdir() . '/doc/openapi.json')));
my $NONE = { max_tokens_per_execution => undef, max_usd_per_execution => undef,
	max_tokens_per_day => undef, max_usd_per_day => undef };

sub call {
	my ($t, $token, $method, $template, $p, $body) = @_;
	(my $path = $template) =~ s/\{(\w+)\}/$p->{$1}/g;
	my %o = (headers => bearer($token));
	$o{content} = $body if defined $body;
	my $res = $t->request($method, $path, \%o);
	my $json = length($res->{content} // '') ? $t->json($res) : undef;
	my @errors = $OA->check_response($method, $template, $res->{status}, $json);
	ok(!@errors, "$method $path $res->{status} matches the document") or diag(join("\n", @errors));
	return ($res, $json);
}

sub create { call($_[0], $_[1], 'POST', '/api/v1/workflows/', {}, $_[2]) }
sub patch { call($_[0], $_[1], 'PATCH', '/api/v1/workflows/{slug}/', { slug => $_[2] }, $_[3]) }
sub get_wf { call($_[0], $_[1], 'GET', '/api/v1/workflows/{slug}/', { slug => $_[2] }) }
sub exec_detail { call($_[0], $_[1], 'GET', '/api/v1/executions/{execution_id}/', { execution_id => $_[2] }) }

sub tool {
	my ($t, @args) = @_;
	my ($rc, $out) = run_command(cmd => [$TOOL, $args[0], $t->db_url, @args[1 .. $#args]], timeout => 120);
	chomp $out;
	return ($rc, $out);
}

my $seq = 0;
# An execution row as the engine writes one, started now; returns its id.
sub new_execution {
	my ($t, $wf_id, $uid) = @_;
	my $id = sprintf('%08x-0000-4000-8000-%012x', $$, ++$seq);
	my $now = strftime('%Y-%m-%d %H:%M:%S.000000', gmtime);
	defined $t->db_query("INSERT INTO workflow_executions (execution_id, workflow_id, user_profile_id, "
		. "thread_id, status, started_at) VALUES ('$id', $wf_id, $uid, 't', 'running', '$now')")
		or fail('execution inserted');
	return $id;
}

sub test_field {
	my ($t, $alice) = @_;
	my ($res, $w) = create($t, $alice, { name => 'No Limits' });
	is($res->{status}, 201, 'created without a budget');
	is_deeply($w->{budget}, $NONE, 'every limit null');
	is_deeply($w->{budget_today}, { tokens => 0, usd => 0 }, 'nothing used today');

	($res, $w) = create($t, $alice, { name => 'Capped', budget => { max_tokens_per_execution => 10000,
		max_usd_per_day => 1.5 } });
	is($res->{status}, 201, 'created with a budget') or diag($res->{content});
	is_deeply($w->{budget}, { %$NONE, max_tokens_per_execution => 10000, max_usd_per_day => 1.5 },
		'the limits given, the others null');
	($res, $w) = patch($t, $alice, 'capped', { description => 'x' });
	is($w->{budget}{max_tokens_per_execution}, 10000, 'a patch without budget keeps it');
	($res, $w) = patch($t, $alice, 'capped', { budget => { max_tokens_per_day => '500', max_usd_per_execution => '0.25' } });
	is($res->{status}, 200, 'patched') or diag($res->{content});
	is_deeply($w->{budget}, { %$NONE, max_tokens_per_day => 500, max_usd_per_execution => 0.25 },
		'a patch replaces the whole budget (numbers given as strings coerced)');
	($res, $w) = get_wf($t, $alice, 'capped');
	is_deeply($w->{budget}, { %$NONE, max_tokens_per_day => 500, max_usd_per_execution => 0.25 }, 'the detail agrees');
	($res, $w) = patch($t, $alice, 'capped', { budget => undef });
	is_deeply($w->{budget}, $NONE, 'null removes every limit');
	($res, $w) = patch($t, $alice, 'capped', { budget => { max_usd_per_day => 0 } });
	is($w->{budget}{max_usd_per_day}, 0, 'a zero limit is a limit');

	my @bad = (
		[ { max_tokens_per_run => 5 }, [qw(body budget max_tokens_per_run)], 'extra_forbidden', 'an unknown key' ],
		[ { max_tokens_per_day => -1 }, [qw(body budget max_tokens_per_day)], 'greater_than_equal', 'negative tokens' ],
		[ { max_usd_per_day => -0.5 }, [qw(body budget max_usd_per_day)], 'greater_than_equal', 'negative USD' ],
		[ { max_tokens_per_execution => 1.5 }, [qw(body budget max_tokens_per_execution)], 'int_from_float',
		  'fractional tokens' ],
		[ { max_tokens_per_execution => 'many' }, [qw(body budget max_tokens_per_execution)], 'int_parsing',
		  'tokens not a number' ],
		[ { max_usd_per_execution => 'lots' }, [qw(body budget max_usd_per_execution)], 'float_type',
		  'USD not a number' ],
		[ { max_usd_per_execution => JSON::PP::true }, [qw(body budget max_usd_per_execution)], 'float_type',
		  'USD a boolean' ],
		[ { max_tokens_per_day => [1] }, [qw(body budget max_tokens_per_day)], 'int_type', 'tokens a list' ],
		[ 'cheap', [qw(body budget)], 'dict_type', 'budget not an object' ],
	);
	for my $case (@bad) {
		my ($budget, $loc, $type, $name) = @$case;
		($res, my $j) = patch($t, $alice, 'capped', { budget => $budget });
		is_validation($t, $res, "patch: $name");
		my ($item) = grep { join(',', @{ $_->{loc} }) eq join(',', @$loc) } @{ $j->{detail} // [] };
		ok($item, "$name: loc is @$loc") or diag($res->{content});
		is($item->{type}, $type, "$name: type $type") if $item;
		($res) = create($t, $alice, { name => "Bad $name", budget => $budget });
		is($res->{status}, 422, "create: $name is a 422 too");
	}
	($res, $w) = get_wf($t, $alice, 'capped');
	is($w->{budget}{max_usd_per_day}, 0, 'a refused patch changed nothing');
	is($t->db_query("SELECT count(*) FROM workflows WHERE name LIKE 'Bad %'"), 0, 'refused creates wrote nothing');
}

sub test_export_import {
	my ($t, $alice) = @_;
	my ($res, $w) = create($t, $alice, { name => 'Travels', budget => { max_tokens_per_day => 123456,
		max_usd_per_execution => 0.75 } });
	($res, my $doc) = call($t, $alice, 'GET', '/api/v1/workflows/{slug}/export/', { slug => 'travels' });
	is_deeply($doc->{workflow}{budget}, { %$NONE, max_tokens_per_day => 123456, max_usd_per_execution => 0.75 },
		'the export carries the budget');
	($res, my $imported) = call($t, $alice, 'POST', '/api/v1/workflows/import/', {}, $doc);
	is($res->{status}, 201, 'imported') or return diag($res->{content});
	is_deeply($imported->{budget}, $doc->{workflow}{budget}, 'the import keeps it');
	is_deeply($imported->{budget_today}, { tokens => 0, usd => 0 }, 'and starts with nothing used today');
	($res, my $again) = call($t, $alice, 'GET', '/api/v1/workflows/{slug}/export/', { slug => $imported->{slug} });
	is_deeply($again->{workflow}{budget}, $doc->{workflow}{budget}, 'a second export is the same');
	$doc->{workflow}{budget} = { max_tokens_per_day => 'x' };
	$doc->{workflow}{slug} = 'travels-bad';
	($res, my $j) = call($t, $alice, 'POST', '/api/v1/workflows/import/', {}, $doc);
	is($res->{status}, 422, 'a document with a bad budget is a 422');
	ok((grep { join(',', @{ $_->{loc} }) =~ /budget,max_tokens_per_day$/ } @{ $j->{detail} // [] }),
		'pointing at the budget key') or diag($res->{content});
}

sub test_usage {
	my ($t, $alice, $uid) = @_;
	my ($res, $w) = create($t, $alice, { name => 'Spender', budget => { max_tokens_per_execution => 6000 } });
	my $wf = $w->{id};
	my $e1 = new_execution($t, $wf, $uid);
	my $e2 = new_execution($t, $wf, $uid);
	# gpt-4o-mini: 0.15 in / 0.60 out per million: 1200 in + 300 out = 360 micro-dollars.
	for my $i (1 .. 3) {
		my ($rc, $out) = tool($t, 'call', $wf, $e1, 'gpt-4o-mini-2024-07-18', 1200, 300, 1000);
		is($rc, 0, "call $i granted and settled") or diag($out);
		like($out, qr/^settled \d+ 360$/, "call $i cost 360 micro-dollars");
	}
	($res, my $d) = get_wf($t, $alice, 'spender');
	is_deeply($d->{budget_today}, { tokens => 4500, usd => 0.00108 }, "the detail's budget_today adds up exactly");
	my ($rc, $out) = tool($t, 'call', $wf, $e2, 'claude-sonnet-4-20250514', 1000, 200, 500);
	like($out, qr/^settled \d+ 6000$/, 'claude-sonnet-4: 1000 * 3 + 200 * 15 = 6000 micro-dollars') or diag($out);
	($res, $d) = get_wf($t, $alice, 'spender');
	is_deeply($d->{budget_today}, { tokens => 5700, usd => 0.00708 }, 'the kept detail still shows today as it is');
	($res, my $list) = call($t, $alice, 'GET', '/api/v1/workflows/', {});
	my ($row) = grep { $_->{slug} eq 'spender' } @{ $list->{items} };
	is_deeply($row->{budget_today}, { tokens => 5700, usd => 0.00708 }, 'the list row too');

	($res, my $x) = exec_detail($t, $alice, $e1);
	is($x->{total_tokens}, 4500, 'the execution: total_tokens');
	is($x->{llm_calls}, 3, 'llm_calls');
	is($x->{total_cost_usd}, 0.00108, 'total_cost_usd');
	is_deeply($x->{budget_used}, { max_tokens_per_execution => 4500, max_usd_per_execution => 0.00108,
		max_tokens_per_day => 5700, max_usd_per_day => 0.00708 }, 'budget_used: the execution and its day');
	is($t->db_query("SELECT total_input_tokens || '/' || total_output_tokens FROM workflow_executions "
		. "WHERE execution_id = '$e1'"), '3600/900', 'input and output tokens are kept apart');
	($res, $list) = call($t, $alice, 'GET', '/api/v1/executions/', {});
	my ($item) = grep { $_->{execution_id} eq $e2 } @{ $list->{items} };
	is_deeply($item->{budget_used}, { max_tokens_per_execution => 1200, max_usd_per_execution => 0.006,
		max_tokens_per_day => 5700, max_usd_per_day => 0.00708 }, 'the list carries budget_used');

	# The fourth call of e1 could use 1200 + 1000 = 2200 tokens: 6700 > 6000.
	($rc, $out) = tool($t, 'call', $wf, $e1, 'gpt-4o-mini', 1200, 300, 1000);
	is($rc, 1, 'a call that could pass the limit is refused');
	like($out, qr/this call could use 2200 tokens; the execution has used 4500 of its 6000/,
		'with the figures') or diag($out);
	($res, $x) = exec_detail($t, $alice, $e1);
	is($x->{llm_calls}, 3, 'and nothing was counted');
	# A workflow without limits: calls are counted all the same.
	($res, my $free) = create($t, $alice, { name => 'Free' });
	my $e3 = new_execution($t, $free->{id}, $uid);
	($rc, $out) = tool($t, 'call', $free->{id}, $e3, 'gpt-4o-mini', 100000, 50000, 0);
	like($out, qr/^settled \d+ 45000$/, 'no limits: the call is made and priced') or diag($out);
	($res, $d) = get_wf($t, $alice, 'free');
	is_deeply($d->{budget_today}, { tokens => 150000, usd => 0.045 }, 'and counted');
	# Without max_tokens the model's output cap is reserved: 16384 for gpt-4o-mini.
	($rc, $out) = tool($t, 'call', $wf, $e2, 'gpt-4o-mini', 10, 10, 0);
	like($out, qr/could use 16394 tokens/, "unset max_tokens reserves the model's output cap") or diag($out);
}

sub test_reservations {
	my ($t, $alice, $uid) = @_;
	my ($res, $w) = create($t, $alice, { name => 'Held', budget => { max_tokens_per_execution => 5000 } });
	my $wf = $w->{id};
	my $e = new_execution($t, $wf, $uid);
	my ($rc, $a) = tool($t, 'reserve', $wf, $e, 2000, 100, 3600);
	like($a, qr/^\d+$/, 'a reservation is granted');
	($rc, my $out) = tool($t, 'reserve', $wf, $e, 3500, 0, 3600);
	like($out, qr/^refused: .*could use 3500 tokens; the execution has used 0 of its 5000 \(2000 more reserved/,
		'a reservation in flight counts against the limit') or diag($out);
	# Its executor died: past the deadline (0 s here) it is charged at its estimate.
	($rc, my $b) = tool($t, 'reserve', $wf, $e, 1000, 0, 0);
	like($b, qr/^\d+$/, 'the next reservation is granted') or diag($b);
	is($t->db_query("SELECT total_tokens || '/' || llm_calls FROM workflow_executions WHERE execution_id = '$e'"),
		'2000/1', 'the stale reservation was charged at its estimate');
	($rc, $out) = tool($t, 'settle', $a, 100, 10, 5);
	is($out, 'not found', 'settling it late adds nothing');
	($rc, $out) = tool($t, 'settle', $b, 100, 50, 7);
	is($out, 'ok', 'settled');
	($rc, my $c) = tool($t, 'reserve', $wf, $e, 1000, 0, 3600);
	($rc, $out) = tool($t, 'release', $c);
	is($out, 'ok', 'a call never made is released');
	($rc, $out) = tool($t, 'release', $c);
	is($out, 'not found', 'once');
	($res, my $x) = exec_detail($t, $alice, $e);
	is_deeply([ @$x{qw(total_tokens llm_calls total_cost_usd)} ], [ 2150, 2, 0.000107 ], 'the totals');
	is($t->db_query("SELECT count(*) FROM budget_reservations"), 0, 'no reservation is left');
}

# The reservations an executor makes for a round's calls at once
# (budget_reserve_batch): granted for workflows without a budget, left to
# the one-call way (0) for a budgeted workflow, a missing one, or one with
# a stale reservation; two identical asks get a reservation each.
sub test_batch {
	my ($t, $alice, $uid) = @_;
	my ($res, $free) = create($t, $alice, { name => 'Batch Free' });
	($res, my $held) = create($t, $alice, { name => 'Batch Held', budget => { max_tokens_per_day => 100000 } });
	my ($f, $h) = ($free->{id}, $held->{id});
	my $e1 = new_execution($t, $f, $uid);
	my $e2 = new_execution($t, $f, $uid);
	my $e3 = new_execution($t, $h, $uid);
	my ($rc, $out) = tool($t, 'reserve-batch', 3600, "$f:$e1:100:5", "$h:$e3:100:5", "$f:$e1:100:5",
		"$f:$e2:300:7", "999999:$e2:10:1");
	is($rc, 0, 'the batch ran') or diag($out);
	my @ids = split /\n/, $out;
	is(scalar @ids, 5, 'one answer per ask');
	like($ids[$_], qr/^[1-9]\d*$/, "ask $_ of the free workflow is granted") for 0, 2, 3;
	isnt($ids[0], $ids[2], 'two identical asks get a reservation each');
	is($ids[1], 0, 'the budgeted workflow is left to the one-call way');
	is($ids[4], 0, 'so is a workflow that does not exist');
	is($t->db_query("SELECT execution_id || ':' || tokens || ':' || usd_micros FROM budget_reservations "
		. "WHERE id = $ids[3]"), "$e2:300:7", 'each reservation says what its ask did');
	is($t->db_query("SELECT count(*) FROM budget_reservations WHERE workflow_id = $f"), 3, 'three rows held');
	is($t->db_query("SELECT count(*) FROM budget_reservations WHERE workflow_id = $h"), 0,
		'none for the budgeted workflow');
	# With a deadline of 0 s, the reservations above are stale: the batch
	# leaves the workflow's asks to the one-call way, which charges them.
	($rc, $out) = tool($t, 'reserve-batch', 0, "$f:$e1:50:1");
	is($out, '0', 'a workflow with a stale reservation is left to the one-call way');
	($rc, $out) = tool($t, 'settle', $ids[3], 200, 50, 6);
	is($out, 'ok', "a batch's reservation settles like any other");
	($rc, $out) = tool($t, 'release', $ids[0]);
	is($out, 'ok', 'and is released like any other');
}

sub test_priced {
	my ($t, $alice) = @_;
	my ($res, $w) = create($t, $alice, { name => 'Priced', budget => { max_usd_per_day => 5 } });
	my $wf = $w->{id};
	my ($rc, $out) = tool($t, 'priced', $wf);
	is($out, 'ok', 'no model: nothing to object to');
	($res) = call($t, $alice, 'POST', '/api/v1/workflows/{slug}/nodes/', { slug => 'priced' },
		{ node_id => 'm1', component_type => 'ai_model', config => { model_name => 'gpt-4o' } });
	is($res->{status}, 201, 'a priced model') or diag($res->{content});
	($rc, $out) = tool($t, 'priced', $wf);
	is($out, 'ok', 'is fine');
	($res) = call($t, $alice, 'POST', '/api/v1/workflows/{slug}/nodes/', { slug => 'priced' },
		{ node_id => 'm2', component_type => 'ai_model', config => { model_name => 'mystery-llm-7b' } });
	($rc, $out) = tool($t, 'priced', $wf);
	is($rc, 1, 'a model with no price under a USD limit is refused');
	like($out, qr/model "mystery-llm-7b" \(ai_model node "m2"\) has no price/, 'naming the model and node')
		or diag($out);
	patch($t, $alice, 'priced', { budget => { max_tokens_per_day => 100000 } });
	($rc, $out) = tool($t, 'priced', $wf);
	is($out, 'ok', 'a token limit alone needs no price');
}

sub test_race {
	my ($t, $alice, $uid) = @_;
	# 20 executions of one workflow, 1000 tokens each, 5000 a day.
	my ($res, $w) = create($t, $alice, { name => 'Raced Day', budget => { max_tokens_per_day => 5000 } });
	my @execs = map { new_execution($t, $w->{id}, $uid) } 1 .. 20;
	my ($rc, $out) = tool($t, 'race', $w->{id}, 1000, 20, @execs);
	like($out, qr/^granted 5 refused 15 errors 0$/m, '20 processes, a day for 5: exactly 5 granted')
		or diag($out);
	like($out, qr/the workflow today \(\d{4}-\d\d-\d\d UTC\) has used 0 of its 5000 \(5000 more reserved/,
		'the refusals say why');
	is($t->db_query("SELECT count(*) FROM budget_reservations WHERE workflow_id = $w->{id}"), 5,
		'5 reservations held');
	# One execution, 20 parallel calls, 5000 per execution.
	($res, $w) = create($t, $alice, { name => 'Raced Run', budget => { max_tokens_per_execution => 5000 } });
	my $e = new_execution($t, $w->{id}, $uid);
	($rc, $out) = tool($t, 'race', $w->{id}, 1000, 20, $e);
	like($out, qr/^granted 5 refused 15 errors 0$/m, '20 calls of one execution: exactly 5 granted')
		or diag($out);
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $t = PipelitTest->started(db_url => $db_url) or return;
	my $alice = make_user($t, 'alice', 'alice-pass-1', 'normal') or return;
	my $uid = $t->db_query("SELECT id FROM user_profiles WHERE username = 'alice'");
	subtest 'the budget field' => sub { test_field($t, $alice) };
	subtest 'export and import' => sub { test_export_import($t, $alice) };
	subtest 'usage and refusals' => sub { test_usage($t, $alice, $uid) };
	subtest 'reservations' => sub { test_reservations($t, $alice, $uid) };
	subtest 'a USD limit needs prices' => sub { test_priced($t, $alice) };
	subtest 'concurrent reservations' => sub { test_race($t, $alice, $uid) };
	subtest 'a round of reservations at once' => sub { test_batch($t, $alice, $uid) };
	$t->stop;
});

done_testing();
