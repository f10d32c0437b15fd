#!/usr/bin/env perl
# bench/agent_workflows.pl BASE_URL API_KEY SLOW_LLM_URL FAST_LLM_URL: makes,
# through the API, the workflows bench/agents.sh runs, each started by a
# chat trigger:
#   agent-slow    chat -> agent, its ai_model on an openai_compatible
#                 credential whose base URL is SLOW_LLM_URL (the double
#                 answering after 200 ms)
#   agent-fast    the same against FAST_LLM_URL (the double answering at once)
#   reply-fast    chat -> reply_chat: the engine alone, the CPU baseline
# Dies with the API's answer when a call fails.
use strict;
use warnings;
use HTTP::Tiny;
use JSON::PP;

my ($base, $key, $slow, $fast) = @ARGV;
die "usage: agent_workflows.pl BASE_URL API_KEY SLOW_LLM_URL FAST_LLM_URL\n" unless $fast;
my $http = HTTP::Tiny->new(timeout => 30);
my $json = JSON::PP->new->canonical;

sub post {
	my ($path, $body) = @_;
	my $r = $http->post("$base/api/v1/$path", { content => $json->encode($body), headers => {
		'Content-Type' => 'application/json', Authorization => "Bearer $key" } });
	die "POST $path: $r->{status} $r->{content}\n" unless $r->{status} == 201;
	return $json->decode($r->{content});
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

sub credential {
	my ($name, $url) = @_;
	return post('credentials/', { name => $name, credential_type => 'llm', detail => {
		provider_type => 'openai_compatible', api_key => 'sk-bench', base_url => $url } })->{id};
}

sub agent {
	my ($slug, $cred) = @_;
	workflow($slug, [
		{ node_id => 'chat', component_type => 'trigger_chat' },
		{ node_id => 'agent', component_type => 'agent', config => { system_prompt => 'Be brief.' } },
		{ node_id => 'model', component_type => 'ai_model', config => { model_name => 'gpt-4o-mini',
			llm_credential_id => $cred } }],
		[['chat', 'agent'], ['model', 'agent', { edge_label => 'llm' }]]);
}

agent('agent-slow', credential('bench slow double', $slow));
agent('agent-fast', credential('bench fast double', $fast));
workflow('reply-fast', [
	{ node_id => 'chat', component_type => 'trigger_chat' },
	{ node_id => 'reply', component_type => 'reply_chat', config => { extra_config => { message => 'done' } } }],
	[['chat', 'reply']]);
