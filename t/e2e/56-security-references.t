# Security finding 19: a node's subworkflow_id and a workflow's
# error_handler_workflow_id may name only workflows of the same owner (the
# engine runs them as that owner), on create, update and import, like
# credential references.  Another user's workflow is answered as one that
# does not exist (422), and nothing is written.  Both backends.
use strict;
use warnings;
use Test::More;
use PipelitTest;
use PipelitAuth;

need_nginx();

# A workflow node's own config (its target, checked on save).
my %SUB_CONFIG = (config => { extra_config => { target_workflow => 'alice-sub' } });

sub test_subworkflow {
	my ($t, $alice, $own, $bobs) = @_;
	my $slug = $own->{slug};
	my ($res, $j) = api_req($t, $alice, 'POST', "workflows/$slug/nodes/", { node_id => 'w1',
		component_type => 'workflow', subworkflow_id => $bobs->{id}, %SUB_CONFIG });
	is($res->{status}, 422, "a node naming another user's workflow as subworkflow is refused")
		or diag($res->{content});
	like($res->{content}, qr/referenced credential, workflow or code block/, 'as a reference');
	is($t->db_query("SELECT count(*) FROM workflow_nodes WHERE subworkflow_id = $bobs->{id}"), 0,
		'nothing stored');
	my $other = api_ok($t, $alice, 'POST', 'workflows/', { name => 'alice sub' }, 201, 'a second own workflow');
	$j = api_ok($t, $alice, 'POST', "workflows/$slug/nodes/", { node_id => 'w1', component_type => 'workflow',
		subworkflow_id => $other->{id}, %SUB_CONFIG }, 201, 'an own workflow as subworkflow is accepted');
	is($j->{subworkflow_id}, $other->{id}, 'and stored');
	($res) = api_req($t, $alice, 'PATCH', "workflows/$slug/nodes/w1/", { subworkflow_id => $bobs->{id} });
	is($res->{status}, 422, "an update to another user's workflow is refused") or diag($res->{content});
	is($t->db_query("SELECT subworkflow_id FROM workflow_nodes WHERE node_id = 'w1'"), $other->{id},
		'the node keeps its subworkflow');

	my $doc = { format => 'pipelit-workflow', version => 1, workflow => { name => 'imported' },
		nodes => [ { node_id => 'w1', component_type => 'workflow', subworkflow_id => $bobs->{id}, %SUB_CONFIG } ],
		edges => [] };
	my $before = $t->db_query('SELECT count(*) FROM workflows');
	($res) = api_req($t, $alice, 'POST', 'workflows/import/', $doc);
	is($res->{status}, 422, "an import naming another user's workflow is refused") or diag($res->{content});
	is($t->db_query('SELECT count(*) FROM workflows'), $before, 'and leaves no workflow');
	$doc->{nodes}[0]{subworkflow_id} = $other->{id};
	api_ok($t, $alice, 'POST', 'workflows/import/', $doc, 201, 'the same import naming an own workflow');
}

sub test_error_handler {
	my ($t, $alice, $admin, $own, $bobs) = @_;
	my ($res) = api_req($t, $alice, 'POST', 'workflows/', { name => 'h1',
		error_handler_workflow_id => $bobs->{id} });
	is($res->{status}, 422, "a workflow created with another user's error handler is refused")
		or diag($res->{content});
	is($t->db_query("SELECT count(*) FROM workflows WHERE error_handler_workflow_id = $bobs->{id}"), 0,
		'nothing stored');
	($res) = api_req($t, $alice, 'PATCH', "workflows/$own->{slug}/", {
		error_handler_workflow_id => $bobs->{id} });
	is($res->{status}, 422, "an update to another user's error handler is refused") or diag($res->{content});
	my $handler = api_ok($t, $alice, 'POST', 'workflows/', { name => 'handler' }, 201, 'an own handler');
	api_ok($t, $alice, 'PATCH', "workflows/$own->{slug}/", { error_handler_workflow_id => $handler->{id} },
		200, 'an own error handler is accepted');
	# An admin may edit alice's workflow, but the handler must still be alice's.
	my $admins = api_ok($t, $admin, 'POST', 'workflows/', { name => 'admin wf' }, 201, "an admin's workflow");
	($res) = api_req($t, $admin, 'PATCH', "workflows/$own->{slug}/", {
		error_handler_workflow_id => $admins->{id} });
	is($res->{status}, 422, "an admin cannot point alice's workflow at the admin's") or diag($res->{content});
	is($t->db_query("SELECT error_handler_workflow_id FROM workflows WHERE id = $own->{id}"), $handler->{id},
		'the handler is unchanged');
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $t = PipelitTest->started(db_url => $db_url) or return;
	my $admin = make_user($t, 'root', 'root-pass-1', 'admin') or return;
	my $alice = make_user($t, 'alice', 'alice-pass-1', 'normal') or return;
	my $bob = make_user($t, 'bob', 'bob-pass-1', 'normal') or return;
	my $bobs = api_ok($t, $bob, 'POST', 'workflows/', { name => 'bob private' }, 201, "bob's workflow");
	my $own = api_ok($t, $alice, 'POST', 'workflows/', { name => 'alice main' }, 201, "alice's workflow");
	test_subworkflow($t, $alice, $own, $bobs);
	test_error_handler($t, $alice, $admin, $own, $bobs);
});

done_testing();
