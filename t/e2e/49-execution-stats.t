# GET /api/v1/executions/stats/: executions, failures, cost and tokens per
# UTC day per workflow over a window ending today, over executions written
# straight into the database: the window (days), the workflow filter,
# executions not yet started left out, scoping between two users and an
# admin, the 422s and the 401.  Every answer is checked against the
# OpenAPI document.  Both backends.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use POSIX qw(strftime);
use PipelitTest;
use PipelitAuth;
use OpenAPISchema;

need_nginx();

my $OA = OpenAPISchema->new(decode_json(PipelitTest::slurp(srcdir() . '/doc/openapi.json')));
my $ROUTE = '/api/v1/executions/stats/';

sub stats {
	my ($t, $token, $query) = @_;
	my %o = $token ? (headers => bearer($token)) : ();
	my $res = $t->request('GET', $ROUTE . ($query // ''), \%o);
	my $json = length($res->{content} // '') ? $t->json($res) : undef;
	my @errors = $OA->check_response('GET', $ROUTE, $res->{status}, $json);
	ok(!@errors, "GET $ROUTE" . ($query // '') . " $res->{status} matches the document") or diag(join("\n", @errors));
	return ($res, $json);
}

my $seq = 0;
sub lit { my ($v) = @_; return defined $v ? "'" . ($v =~ s/'/''/gr) . "'" : 'NULL' }

# The UTC day $n days ago.
sub day_ago { my ($n) = @_; return strftime('%Y-%m-%d', gmtime(time - $n * 86400)) }

sub insert_exec {
	my ($t, $wf, $uid, %o) = @_;
	my $id = sprintf('%08x-0000-4000-8000-%012x', $$, ++$seq);
	my $sql = "INSERT INTO workflow_executions (execution_id, workflow_id, user_profile_id, thread_id, status, "
		. "parent_node_id, retry_count, max_retries, error_message, total_input_tokens, total_output_tokens, "
		. "total_tokens, llm_calls, total_cost_usd, started_at, event_seq) VALUES (" . join(', ', lit($id), $wf,
		$uid, lit('t'), lit($o{status}), lit(''), 0, 3, lit(''), 0, 0, $o{tokens} // 0, 0, $o{cost} // 0,
		lit($o{started}), 0) . ")";
	ok(defined $t->db_query($sql), "execution inserted") or diag($sql);
	return $id;
}

sub make_workflow {
	my ($t, $token, $slug) = @_;
	my $res = $t->request('POST', '/api/v1/workflows/', { headers => bearer($token),
		content => { name => $slug, slug => $slug } });
	is($res->{status}, 201, "workflow $slug created") or diag($res->{content});
	return $t->json($res)->{id};
}

# The answer's items as "day slug executions/failed/cost/tokens" lines.
sub lines {
	my ($j) = @_;
	return [map { sprintf('%s %s %d/%d/%.6f/%d', @$_{qw(day workflow_slug executions failed cost_usd tokens)}) }
		@{ $j->{items} // [] }];
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $t = PipelitTest->started(db_url => $db_url, executors => 0) or return;
	my $admin = make_user($t, 'root', 'root-pass-1', 'admin') or return;
	my $alice = make_user($t, 'alice', 'alice-pass-1', 'normal') or return;
	my $bob = make_user($t, 'bob', 'bob-pass-1', 'normal') or return;
	my $alice_id = $t->db_query("SELECT id FROM user_profiles WHERE username = 'alice'");
	my $bob_id = $t->db_query("SELECT id FROM user_profiles WHERE username = 'bob'");
	my $wa = make_workflow($t, $alice, 'flow-a');
	my $wb = make_workflow($t, $alice, 'flow-b');
	my $wbob = make_workflow($t, $bob, 'flow-bob');

	my ($today, $two, $forty) = (day_ago(0), day_ago(2), day_ago(40));
	insert_exec($t, $wa, $alice_id, status => 'completed', started => "$today 00:00:01.000000", tokens => 10, cost => 0.25);
	insert_exec($t, $wa, $alice_id, status => 'failed', started => "$today 00:00:02.000000", tokens => 20, cost => 0.5);
	insert_exec($t, $wa, $alice_id, status => 'pending', started => undef);
	insert_exec($t, $wb, $alice_id, status => 'completed', started => "$two 12:00:00.000000", tokens => 7, cost => 0.000001);
	insert_exec($t, $wa, $alice_id, status => 'failed', started => "$forty 12:00:00.000000", tokens => 1, cost => 1);
	insert_exec($t, $wbob, $bob_id, status => 'running', started => "$today 00:00:03.000000", tokens => 5);

	my ($res, $j) = stats($t, $alice);
	is($res->{status}, 200, 'stats: 200');
	is($j->{days}, 30, 'thirty days by default');
	is($j->{from}, day_ago(29), 'from the first day of the window');
	is_deeply(lines($j), ["$two flow-b 1/0/0.000001/7", "$today flow-a 2/1/0.750000/30"],
		'per day per workflow, by day: the executions started in the window, the failed among them, cost and tokens; '
		. 'not yet started and older ones left out, and only her own');

	(undef, $j) = stats($t, $alice, '?days=1');
	is_deeply(lines($j), ["$today flow-a 2/1/0.750000/30"], 'days=1: today only');
	is($j->{from}, $today, 'from today');
	(undef, $j) = stats($t, $alice, '?days=60');
	is(scalar @{ $j->{items} }, 3, 'days=60 reaches the older execution');
	is($j->{items}[0]{day}, $forty, 'oldest first');
	(undef, $j) = stats($t, $alice, '?workflow_slug=flow-b');
	is_deeply(lines($j), ["$two flow-b 1/0/0.000001/7"], 'one workflow');
	(undef, $j) = stats($t, $alice, '?workflow_slug=flow-bob');
	is_deeply($j->{items}, [], "another user's workflow: nothing");

	(undef, $j) = stats($t, $bob);
	is_deeply(lines($j), ["$today flow-bob 1/0/0.000000/5"], 'bob sees his own only');
	(undef, $j) = stats($t, $admin);
	is_deeply(lines($j), ["$two flow-b 1/0/0.000001/7", "$today flow-a 2/1/0.750000/30", "$today flow-bob 1/0/0.000000/5"],
		'an admin sees every workflow');

	for my $q ('?days=0', '?days=367', '?days=abc', '?workflow_slug=' . ('x' x 256)) {
		($res, $j) = stats($t, $alice, $q);
		is($res->{status}, 422, "422 for $q");
		ok(ref $j->{detail} eq 'ARRAY' && $j->{detail}[0]{loc}[0] eq 'query', 'a query problem');
	}
	($res) = stats($t, undef);
	is($res->{status}, 401, 'no key: 401');
});

done_testing();
