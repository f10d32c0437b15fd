#!/usr/bin/env perl
# bench/engine_workflows.pl BASE_URL API_KEY: makes, through the API, the
# workflows bench/engine.sh runs:
#   bench-branch  webhook (async, path bench/async) -> switch on
#                 trigger.payload.kind ("a", else the fallback) -> a | b
#                 (reply_chat each) -> reply (reply_chat, runs once after
#                 the branch taken; the other is ruled out); a manual
#                 trigger feeds the switch too (POST .../execute/)
#   bench-sync    the same graph behind a synchronous webhook (bench/sync)
#   bench-chain1  webhook (bench/chain1) -> one reply_chat
#   bench-chain50 webhook (bench/chain50) -> 50 reply_chat in a chain
# Dies with the API's answer when a call fails.
use strict;
use warnings;
use HTTP::Tiny;
use JSON::PP;

my ($base, $key) = @ARGV;
die "usage: engine_workflows.pl BASE_URL API_KEY\n" unless $key;
my $http = HTTP::Tiny->new(timeout => 30);
my $json = JSON::PP->new->canonical;

sub post {
	my ($path, $body) = @_;
	my $r = $http->post("$base/api/v1/$path", { content => $json->encode($body), headers => {
		'Content-Type' => 'application/json', Authorization => "Bearer $key" } });
	die "POST $path: $r->{status} $r->{content}\n" unless $r->{status} == 201;
}

sub workflow {
	my ($slug, $nodes, $edges) = @_;
	post('workflows/', { name => $slug, slug => $slug });
	post("workflows/$slug/nodes/", $_) for @$nodes;
	for my $e (@$edges) {
		my ($s, $d, $extra) = @$e;
		post("workflows/$slug/edges/", { source_node_id => $s, target_node_id => $d, %{ $extra // {} } });
	}
}

sub webhook {
	my ($path, $mode) = @_;
	return { node_id => 'hook', component_type => 'trigger_webhook',
		config => { extra_config => { path => $path, method => 'POST', mode => $mode } } };
}

sub reply {
	my ($id, $message) = @_;
	return { node_id => $id, component_type => 'reply_chat', config => { extra_config => { message => $message } } };
}

sub branch {
	my ($slug, $path, $mode) = @_;
	workflow($slug, [webhook($path, $mode),
		{ node_id => 'sw', component_type => 'switch', config => { extra_config => {
			rules => [{ id => 'a', field => 'trigger.payload.kind', operator => 'equals', value => 'a' }],
			enable_fallback => JSON::PP::true } } },
		reply('a', 'took a'), reply('b', 'took b'), reply('reply', 'done'),
		{ node_id => 'manual', component_type => 'trigger_manual' }],
		[['hook', 'sw'], ['manual', 'sw'],
		 ['sw', 'a', { edge_type => 'conditional', condition_value => 'a' }],
		 ['sw', 'b', { edge_type => 'conditional', condition_value => '__other__' }],
		 ['a', 'reply'], ['b', 'reply']]);
}

sub chain {
	my ($n) = @_;
	my @nodes = (webhook("bench/chain$n", 'async'), map { reply("n$_", "step $_") } 1 .. $n);
	my @edges = (['hook', 'n1'], map { ["n$_", 'n' . ($_ + 1)] } 1 .. $n - 1);
	workflow("bench-chain$n", \@nodes, \@edges);
}

branch('bench-branch', 'bench/async', 'async');
branch('bench-sync', 'bench/sync', 'sync');
chain(1);
chain(50);
