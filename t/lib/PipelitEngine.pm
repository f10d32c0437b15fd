# Helpers for engine tests: build a workflow through the API, start it with
# `pipelit run`, and read what it left in the database.
package PipelitEngine;
use strict;
use warnings;
use Exporter 'import';
use JSON::PP;
use Test::More;
use Time::HiRes qw(sleep time);
use PipelitTest;
use PipelitAuth;

our @EXPORT = qw(build_workflow run_workflow wait_execution execution_row log_rows api);

sub api {
	my ($t, $token, $method, $path, $body) = @_;
	my %o = (headers => bearer($token));
	$o{content} = $body if defined $body;
	my $res = $t->request($method, "/api/v1/$path", \%o);
	return ($res, $t->json($res));
}

# build_workflow($t, $token, $slug, [nodes...], [edges...]): nodes are
# {node_id, component_type, config?...}, edges [source, target, extra?].
sub build_workflow {
	my ($t, $token, $slug, $nodes, $edges, $wf) = @_;
	my ($res) = api($t, $token, 'POST', 'workflows/', { name => $slug, slug => $slug, %{ $wf // {} } });
	$res->{status} == 201 or do { diag("workflow $slug: $res->{status} $res->{content}"); return 0 };
	for my $n (@$nodes) {
		($res) = api($t, $token, 'POST', "workflows/$slug/nodes/", $n);
		$res->{status} == 201 or do { diag("node $n->{node_id}: $res->{status} $res->{content}"); return 0 };
	}
	for my $e (@$edges) {
		my ($s, $d, $extra) = @$e;
		($res) = api($t, $token, 'POST', "workflows/$slug/edges/",
			{ source_node_id => $s, target_node_id => $d, %{ $extra // {} } });
		$res->{status} == 201 or do { diag("edge $s->$d: $res->{status} $res->{content}"); return 0 };
	}
	return 1;
}

# Starts the workflow with `pipelit run`; the execution id, or undef.
sub run_workflow {
	my ($t, $slug, @args) = @_;
	my ($rc, $out) = $t->pipelit('run', $slug, @args);
	my ($id) = $out =~ /^([0-9a-f-]{36})$/m;
	diag("pipelit run $slug: $out") unless $rc == 0 && $id;
	return $id;
}

sub execution_row {
	my ($t, $id) = @_;
	my $row = $t->db_query("SELECT status, final_output, error_message FROM workflow_executions "
		. "WHERE execution_id = '$id'") // '';
	my ($status, $output, $error) = split /\|/, $row, 3;
	return { status => $status // '', output => $output, error => $error // '' };
}

# Waits until the execution is no longer pending or running (or $timeout
# seconds pass); its row.
sub wait_execution {
	my ($t, $id, $timeout, $until) = @_;
	$until //= qr/^(completed|failed|cancelled|interrupted)$/;
	my $deadline = time + ($timeout // 30);
	my $row;
	while (1) {
		$row = execution_row($t, $id);
		last if $row->{status} =~ $until || time > $deadline;
		sleep 0.05;
	}
	return $row;
}

# node_id|status|attempt of each log row, in order.
sub log_rows {
	my ($t, $id) = @_;
	my $out = $t->db_query("SELECT node_id, status, attempt FROM execution_logs "
		. "WHERE execution_id = '$id' ORDER BY id") // '';
	return [ split /\n/, $out ];
}

1;
