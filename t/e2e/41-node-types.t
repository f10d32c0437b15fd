# GET /api/v1/workflows/node-types/: the node-type registry through nginx,
# without auth, on both backends: 43 types, Pipelit's 38 equal to the
# spec's pipelit-node-types.json (when the spec folder is there) and in its
# order, and this project's trigger_webhook with its config fields and its
# four tools (calculator, get_datetime, http_request, web_search).
use strict;
use warnings;
use Test::More;
use JSON::PP;
use PipelitTest;

need_nginx();

my $PATH = '/api/v1/workflows/node-types/';

sub spec_file {
	my $dir = $ENV{PIPELIT_SPEC_DIR} || srcdir() . '/../shared/spec';
	my $file = "$dir/pipelit-node-types.json";
	return -r $file ? $file : undef;
}

sub read_file {
	my ($file) = @_;
	open(my $fh, '<:raw', $file) or die "$file: $!";
	local $/;
	return scalar <$fh>;
}

# The top-level keys of a JSON map, in the order the text has them.
sub top_level_order {
	my ($text) = @_;
	my @keys;
	push @keys, $1 while $text =~ /"([a-z_]+)":\s*\{\s*"component_type"/g;
	return \@keys;
}

sub test_node_types {
	my ($t) = @_;
	my $res = $t->get($PATH);
	is($res->{status}, 200, 'node-types answers 200 without auth') or diag($res->{content});
	like($res->{headers}{'content-type'} // '', qr{^application/json}, 'as JSON');
	# Decoded as UTF-8 (descriptions hold an em dash), which $t->json does not do.
	my $got = eval { decode_json($res->{content}) };
	is(ref $got, 'HASH', 'a map') or return;
	is(scalar keys %$got, 43, '43 types');
	is($got->{$_}{component_type}, $_, "$_ names itself") for sort keys %$got;
	ok(!exists $got->{code_execute} && !exists $got->{error_handler},
		'code_execute and error_handler are accepted kinds without a spec, as in Pipelit');

	my $hook = delete $got->{trigger_webhook} // {};
	is($hook->{category}, 'trigger', 'trigger_webhook is a trigger');
	is_deeply([ map { $_->{name} } @{ $hook->{outputs} // [] } ], [qw(body headers query method payload)],
		'its outputs');
	my $schema = $hook->{config_schema} // {};
	is_deeply($schema->{required}, ['path'], 'path is required');
	is_deeply([ sort keys %{ $schema->{properties} // {} } ],
		[ sort qw(path method secret signature_header signature_algorithm signature_tolerance_seconds mode
			max_wait_seconds rate_limit_per_minute max_concurrency respond_with) ], 'its config fields');
	my $p = $schema->{properties} // {};
	is_deeply($p->{method}{enum}, [qw(POST GET PUT PATCH DELETE ANY)], 'methods');
	is($p->{method}{default}, 'POST', 'POST by default');
	is_deeply($p->{signature_algorithm}{enum}, [qw(sha256 stripe hex)], 'signature algorithms');
	is($p->{signature_header}{default}, 'X-Hub-Signature-256', "GitHub's header by default");
	is_deeply($p->{mode}{enum}, [qw(async sync)], 'modes');
	is_deeply([ @{ $p->{max_wait_seconds} }{qw(default minimum maximum)} ], [ 30, 1, 300 ], 'the sync wait');
	is($p->{rate_limit_per_minute}{default}, 0, 'no rate limit by default');

	for my $tool (qw(calculator get_datetime http_request web_search)) {
		my $spec = delete $got->{$tool} // {};
		is($spec->{category}, 'sub_component', "$tool is a sub-component");
		is_deeply([ map { $_->{name} } @{ $spec->{outputs} // [] } ], ['result'], "$tool answers a result");
		ok($spec->{executable} && !$spec->{requires_model}, "$tool: executable, needs no model");
	}
	my $tools = decode_json($res->{content});
	my $tz = $tools->{get_datetime}{config_schema}{properties}{timezone} // {};
	is($tz->{default}, 'UTC', 'get_datetime: UTC by default');
	my $http = $tools->{http_request}{config_schema}{properties} // {};
	is_deeply($http->{method}{enum}, [qw(GET POST PUT PATCH DELETE HEAD)], 'http_request: its methods');
	is($http->{method}{default}, 'GET', 'GET by default');
	is_deeply([ @{ $http->{timeout} }{qw(default minimum maximum)} ], [ 30, 1, 300 ], 'its timeout');
	is($http->{max_response_bytes}{default}, 1048576, 'a 1 MiB response cap by default');
	is_deeply($http->{headers}{default}, {}, 'no headers by default');
	is_deeply([ map { $_->{name} } @{ $tools->{web_search}{inputs} } ], ['query'], 'web_search takes a query');
	is_deeply([ map { $_->{name} } @{ $tools->{calculator}{inputs} } ], ['expression'],
		'calculator takes an expression');

	my $with_bad_key = $t->get($PATH, { Authorization => 'Bearer not-a-key' });
	is($with_bad_key->{status}, 200, 'a bad bearer key does not matter here');
	is($with_bad_key->{content}, $res->{content}, 'and the answer is the same');

	my $file = spec_file();
	SKIP: {
		skip 'the spec folder (../shared/spec or PIPELIT_SPEC_DIR) is not there', 2 unless $file;
		my $text = read_file($file);
		is_deeply($got, decode_json($text), 'equal to pipelit-node-types.json');
		my %ours = map { $_ => 1 } qw(trigger_webhook calculator get_datetime http_request web_search);
		is_deeply([ grep { !$ours{$_} } @{ top_level_order($res->{content}) } ],
			top_level_order($text), 'in the spec file\'s order');
	}
	is($t->get($PATH)->{content}, $res->{content}, 'the same bytes on the next request');
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $t = PipelitTest->started(db_url => $db_url) or return;
	test_node_types($t);
});

done_testing();
