# Platform settings (/api/v1/settings/, doc/settings.md), both backends:
#  - any user reads them, with where each value comes from (database,
#    environment, default); no password of a URL in any answer, and none
#    is stored (a URL with one is refused);
#  - only an admin changes them (403 otherwise, nothing stored); every
#    value is checked (type, range, choice, read-only, unknown field: 422)
#    and a PATCH with one bad field changes nothing;
#  - a change is stored in the database: a restarted pool still has it;
#    null gives a setting back to the environment;
#  - log_level reaches every responder (a DEBUG line from each of them,
#    told apart by the request ids _test/pid answers) and the executor, of
#    this pool and (PostgreSQL) of a second pool on the same database;
#  - zombie_execution_threshold_seconds is the lease of the jobs the engine
#    claims after the executor applied it (execution_jobs.due_ms);
#  - recheck-environment probes the host again (a root file system
#    created in between shows up);
#  - every answer has the shape doc/openapi.json gives it.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use File::Path qw(make_path);
use POSIX ();
use Time::HiRes qw(sleep time);
use PipelitTest;
use PipelitAuth;
use PipelitEngine;
use OpenAPISchema;

need_nginx();

my $RESPONDERS = 3;
my $ENV_REDIS_PW = 'redis-env-pw-' . random_name();
my @FIELDS = qw(pipelit_dir sandbox_mode database_url redis_url log_level log_file platform_base_url
	cors_allow_all_origins zombie_execution_threshold_seconds);

my $OA = OpenAPISchema->new(decode_json(PipelitTest::slurp(srcdir() . '/doc/openapi.json')));

# An API call on the settings routes; every answer is checked against
# doc/openapi.json.
sub settings_req {
	my ($t, $token, $method, $path, $body) = @_;
	my ($res, $j) = api_req($t, $token, $method, "settings/$path", $body);
	my @errors = $OA->check_response($method, "/api/v1/settings/$path", $res->{status}, $j);
	ok(!@errors, "$method /api/v1/settings/$path $res->{status} matches the document")
		or diag(join("\n", @errors[0 .. ($#errors > 9 ? 9 : $#errors)]));
	return ($res, $j);
}

sub revision {
	my ($t) = @_;
	my $r = $t->db_query('SELECT revision FROM platform_settings_revision WHERE id = 1') // '';
	return $r eq '' ? 0 : $r;   # the first change inserts the row
}

sub no_secret_in {
	my ($res, $name, @secrets) = @_;
	my $body = $res->{content} // '';
	ok(!(grep { index($body, $_) >= 0 } @secrets), "$name: no password in the answer");
}

sub check_environment_shape {
	my ($env, $name) = @_;
	ok(ref $env eq 'HASH', "$name: environment is an object") or return;
	is_deeply([sort keys %$env], [sort qw(os arch container bwrap_available rootfs_ready sandbox_mode
		capabilities tier1_met tier2_warnings gate)], "$name: EnvironmentInfo fields");
	is($env->{os}, 'Linux', "$name: os");
	like($env->{sandbox_mode}, qr/^(bwrap|container|none)$/, "$name: a resolved sandbox mode");
	is_deeply([sort keys %{ $env->{capabilities} }], [qw(network runtimes shell_tools)], "$name: capabilities");
	is($env->{capabilities}{shell_tools}{sh} // 'absent', 'absent', "$name: only Pipelit's tool list");
	is($env->{capabilities}{shell_tools}{cat}{tier}, 1, "$name: cat is a tier-1 tool");
	ok($env->{capabilities}{shell_tools}{cat}{available}, "$name: cat is found on PATH");
	ok(exists $env->{capabilities}{runtimes}{python3}{version}, "$name: runtimes have a version field");
	is(ref $env->{tier2_warnings}, 'ARRAY', "$name: tier2_warnings is a list");
	is_deeply([sort keys %{ $env->{gate} }], [qw(blocked_reason passed)], "$name: gate");
	is(!!$env->{gate}{passed}, !defined $env->{gate}{blocked_reason}, "$name: a blocked gate says why");
}

sub test_read {
	my ($t, $alice, $admin) = @_;
	for my $who ([$alice, 'a user'], [$admin, 'an admin']) {
		my ($res, $j) = settings_req($t, $who->[0], 'GET', '');
		is($res->{status}, 200, "GET as $who->[1]") or return diag($res->{content});
		is_deeply([sort keys %$j], [qw(config environment revision sources)], 'answer fields');
		is_deeply([sort keys %{ $j->{config} }], [sort @FIELDS], 'PlatformConfigOut fields');
		is_deeply([sort keys %{ $j->{sources} }], [sort @FIELDS], 'a source for each');
		no_secret_in($res, "GET as $who->[1]", $ENV_REDIS_PW);
		is($j->{config}{redis_url}, 'redis://:***@127.0.0.1:6379/0', 'redis_url from the environment, masked');
		is($j->{config}{log_level}, 'INFO', 'log_level from the environment');
		is($j->{sources}{log_level}, 'environment', 'log_level: source environment');
		is($j->{sources}{redis_url}, 'environment', 'redis_url: source environment');
		is($j->{config}{zombie_execution_threshold_seconds}, 900, 'the zombie threshold default');
		is($j->{sources}{zombie_execution_threshold_seconds}, 'default', '... source default');
		is($j->{config}{sandbox_mode}, 'auto', 'sandbox_mode default');
		is($j->{sources}{sandbox_mode}, 'default', '... source default');
		is($j->{config}{cors_allow_all_origins}, JSON::PP::false, 'cors_allow_all_origins default');
		is($j->{config}{pipelit_dir}, $t->dir . '/data', 'pipelit_dir is the data directory');
		is($j->{sources}{database_url}, 'environment', 'database_url: source environment');
		check_environment_shape($j->{environment}, "GET as $who->[1]");
	}
	my $res = $t->get('/api/v1/settings/');
	is($res->{status}, 401, 'GET without a key: 401');
}

sub test_forbidden {
	my ($t, $alice) = @_;
	my $before = revision($t);
	my ($res) = settings_req($t, $alice, 'PATCH', '', { log_level => 'DEBUG' });
	is_detail($t, $res, 403, 'Admin access required.', 'PATCH as a user');
	is(revision($t), $before, 'nothing stored');
	is($t->db_query('SELECT count(*) FROM platform_settings'), '0', 'no row');
}

sub test_validation {
	my ($t, $admin) = @_;
	my $before = revision($t);
	my @cases = (
		[{ log_level => 'LOUD' }, 'log_level', 'literal_error', 'an unknown level'],
		[{ log_level => 5 }, 'log_level', 'literal_error', 'a level that is a number'],
		[{ zombie_execution_threshold_seconds => 0 }, 'zombie_execution_threshold_seconds', 'greater_than_equal',
			'a zero lease'],
		[{ zombie_execution_threshold_seconds => -5 }, 'zombie_execution_threshold_seconds', 'greater_than_equal',
			'a negative lease'],
		[{ zombie_execution_threshold_seconds => 99999999999 }, 'zombie_execution_threshold_seconds',
			'less_than_equal', 'a lease of three thousand years'],
		[{ zombie_execution_threshold_seconds => 'soon' }, 'zombie_execution_threshold_seconds', 'int_parsing',
			'a lease that is not a number'],
		[{ zombie_execution_threshold_seconds => 1.5 }, 'zombie_execution_threshold_seconds', undef,
			'a fractional lease'],
		[{ cors_allow_all_origins => 'maybe' }, 'cors_allow_all_origins', 'bool_parsing', 'a bool that is not'],
		[{ sandbox_mode => 'docker' }, 'sandbox_mode', 'literal_error', 'an unknown sandbox mode'],
		[{ log_file => 'relative/pipelit.log' }, 'log_file', 'value_error', 'a relative log file'],
		[{ log_file => "/tmp/a\nb" }, 'log_file', 'value_error', 'a log file with a newline'],
		[{ platform_base_url => 'ftp://example.org/' }, 'platform_base_url', 'value_error', 'an ftp base URL'],
		[{ redis_url => 'not a url' }, 'redis_url', 'value_error', 'a redis URL that is not one'],
		[{ redis_url => 7 }, 'redis_url', 'string_type', 'a redis URL that is a number'],
		[{ redis_url => 'redis://user:pw@cache:6379/0' }, 'redis_url', 'value_error',
			'a redis URL with a password (never stored in clear)'],
		[{ redis_url => 'redis://cache/0?password=pw' }, 'redis_url', 'value_error',
			'a redis URL with a password parameter'],
		[{ database_url => 'sqlite:////tmp/other.sqlite3' }, 'database_url', 'read_only', 'database_url'],
		[{ pipelit_dir => '/tmp' }, 'pipelit_dir', 'read_only', 'pipelit_dir'],
		[{ no_such_setting => 1 }, 'no_such_setting', 'extra_forbidden', 'an unknown field'],
		[{ log_level => 'DEBUG', zombie_execution_threshold_seconds => -1 }, 'zombie_execution_threshold_seconds',
			'greater_than_equal', 'one good and one bad field'],
	);
	for my $c (@cases) {
		my ($body, $field, $type, $name) = @$c;
		my ($res, $j) = settings_req($t, $admin, 'PATCH', '', $body);
		is_validation($t, $res, $name) or next;
		my @items = grep { ($_->{loc}[1] // '') eq $field } @{ $j->{detail} };
		ok(@items == 1 && $items[0]{loc}[0] eq 'body', "$name: the item names body.$field")
			or diag($res->{content});
		is($items[0]{type}, $type, "$name: type $type") if defined $type && @items;
	}
	my ($res, $j) = settings_req($t, $admin, 'PATCH', '', [1]);
	is_validation($t, $res, 'a body that is not an object');
	$res = $t->request('PATCH', '/api/v1/settings/', { headers => { %{ bearer($admin) },
		'Content-Type' => 'application/json' }, content => '{"log_level":' });
	is($res->{status}, 422, 'malformed JSON: 422');
	is(revision($t), $before, 'no refused PATCH stored anything');
	($res, $j) = settings_req($t, $admin, 'GET', '');
	is($j->{config}{log_level}, 'INFO', 'log_level is still INFO after the mixed PATCH');
	($res, $j) = settings_req($t, $admin, 'PATCH', '', {});
	is($res->{status}, 200, 'an empty PATCH: 200');
	is_deeply([$j->{hot_reloaded}, $j->{restart_required}], [[], []], '... changing nothing');
	is(revision($t), $before, '... and storing nothing');
}

sub test_change {
	my ($t, $admin) = @_;
	my $before = revision($t);
	my $res = $t->request('PATCH', '/api/v1/settings/', { headers => { %{ bearer($admin) },
		'Content-Type' => 'application/json' },
		content => qq({"cors_allow_all_origins": true, "zombie_execution_threshold_seconds": 4321, )
			. qq("redis_url": "redis://user\@cache.internal:6379/1", "platform_base_url": "https://pipelit.example.org"}) });
	is($res->{status}, 200, 'PATCH as an admin: 200') or return diag($res->{content});
	my $j = $t->json($res);
	is_deeply($j->{hot_reloaded}, ['zombie_execution_threshold_seconds'], 'hot_reloaded: the live field');
	is_deeply($j->{restart_required}, [qw(cors_allow_all_origins redis_url platform_base_url)],
		'restart_required: the others, in the order sent');
	no_secret_in($res, 'PATCH answer', $ENV_REDIS_PW);
	is($j->{config}{redis_url}, 'redis://user@cache.internal:6379/1', 'the stored redis_url');
	is($j->{config}{zombie_execution_threshold_seconds}, 4321, 'the new threshold');
	is($j->{config}{cors_allow_all_origins}, JSON::PP::true, 'cors_allow_all_origins');
	is($j->{sources}{$_}, 'database', "$_: source database")
		for qw(zombie_execution_threshold_seconds cors_allow_all_origins redis_url platform_base_url);
	is($j->{sources}{log_level}, 'environment', 'log_level still from the environment');
	is(revision($t), $before + 1, 'the revision went up by one');
	is($t->db_query("SELECT value FROM platform_settings WHERE name = 'zombie_execution_threshold_seconds'"),
		'4321', 'stored in the database');
	my $g;
	($res, $g) = settings_req($t, $admin, 'GET', '');
	is_deeply($g->{config}, $j->{config}, 'GET (any responder) shows the same config');
	is($g->{revision}, $before + 1, 'and the new revision');
}

sub slow_workflow {
	my ($t, $tok, $slug) = @_;
	build_workflow($t, $tok, $slug, [
		{ node_id => 'start', component_type => 'trigger_manual' },
		{ node_id => 'slow', component_type => 'reply_chat', config => { extra_config => { seconds => 2 } } }],
		[['start', 'slow']]) or return 0;
	$t->db_query("UPDATE workflow_nodes SET component_type = 'test_sleep' WHERE node_id = 'slow' "
		. "AND workflow_id = (SELECT id FROM workflows WHERE slug = '$slug')");
	return 1;
}

# Seconds from now to the end of the lease of the slow node while it runs.
sub lease_left {
	my ($t, $id) = @_;
	my $due;
	PipelitTest::wait_until(30, sub {
		$due = $t->db_query("SELECT due_ms FROM execution_jobs WHERE execution_id = '$id' "
			. "AND node_id = 'slow' AND state = 'leased'") // '';
		return $due ne '';
	}) or return undef;
	return $due / 1000 - time;
}

sub applied_by_executor {
	my ($t, $rev) = @_;
	return PipelitTest::wait_until(30, sub {
		$t->log_text =~ /\[Executor\]\[INFO\] \S+ - settings revision $rev applied/ });
}

sub test_lease {
	my ($t, $alice) = @_;
	my $rev = revision($t);
	ok(applied_by_executor($t, $rev), "the executor applied revision $rev") or return diag($t->log_tail);
	slow_workflow($t, $alice, 'lease-check') or return;
	my $id = run_workflow($t, 'lease-check') or return;
	my $left = lease_left($t, $id);
	ok(defined $left && $left > 4321 - 120 && $left <= 4321 + 1,
		'the job claimed after the change is leased for 4321 s') or diag("lease left: " . ($left // 'none'));
	is(wait_execution($t, $id, 60)->{status}, 'completed', 'and the execution completes');
}

# Requests /api/v1/_test/pid/ from several processes at once; [pid, request id] pairs.
sub pid_requests {
	my ($t, $workers, $each) = @_;
	my $out = $t->dir . '/pids.' . random_name();
	my @kids;
	for my $w (1 .. $workers) {
		my $pid = fork // die "fork: $!";
		if ($pid == 0) {
			my $http = HTTP::Tiny->new(timeout => 30, keep_alive => 0);
			open my $fh, '>', "$out.$w" or POSIX::_exit(1);
			for (1 .. $each) {
				my $res = $http->get($t->url('/api/v1/_test/pid/'));
				my $j = eval { decode_json($res->{content}) } or next;
				print $fh "$j->{pid} " . ($res->{headers}{'x-request-id'} // '') . "\n";
			}
			close $fh;
			POSIX::_exit(0);
		}
		push @kids, $pid;
	}
	waitpid($_, 0) for @kids;
	my @pairs;
	for my $w (1 .. $workers) {
		push @pairs, map { [split / /] } split /\n/, PipelitTest::slurp("$out.$w");
		unlink "$out.$w";
	}
	return @pairs;
}

sub test_log_level {
	my ($t, $admin) = @_;
	my @responders = $t->responder_pids;
	is(scalar @responders, $RESPONDERS, "$RESPONDERS responders") or return;
	my ($res, $j) = settings_req($t, $admin, 'PATCH', '', { log_level => 'DEBUG' });
	is($res->{status}, 200, 'PATCH log_level DEBUG') or return diag($res->{content});
	is_deeply([$j->{hot_reloaded}, $j->{restart_required}], [['log_level'], []], 'log_level is hot-reloaded');
	every_process_logs_debug($t, $j->{revision}, 'this pool');
}

# Every responder of $t, asked again and again, ends up logging at DEBUG;
# its executor too.
sub every_process_logs_debug {
	my ($t, $rev, $pool) = @_;
	my @responders = $t->responder_pids;
	my %debug;
	PipelitTest::wait_until(60, sub {
		my @pairs = pid_requests($t, 6, 10);
		my $log = $t->log_text;
		for my $p (@pairs) {
			my ($pid, $rid) = @$p;
			next if $rid eq '' || $debug{$pid};
			$debug{$pid} = 1 if $log =~ /\[Responder\]\[DEBUG\] \S+ - \[request \Q$rid\E\] GET \/api\/v1\/_test\/pid\//;
		}
		return !grep { !$debug{$_} } @responders;
	});
	is_deeply([sort { $a <=> $b } grep { $debug{$_} } @responders], [sort { $a <=> $b } @responders],
		"$pool: a DEBUG line from every responder") or diag($t->log_tail);
	ok(PipelitTest::wait_until(30, sub {
		$t->log_text =~ /\[Executor\]\[DEBUG\] \S+ - settings revision $rev: this process logs at DEBUG/ }),
		"$pool: and from the executor") or diag($t->log_tail);
}

# PostgreSQL: a second pool on the same database (another host, as far as
# it can tell) applies a change made through the first.
sub test_two_pools {
	my ($t, $admin, $db_url) = @_;
	my $u = PipelitTest->started(db_url => $db_url, responders => 2,
		name => 'a second pool on the same database starts') or return;
	my ($res, $j) = settings_req($t, $admin, 'PATCH', '', { log_level => 'DEBUG' });
	is($res->{status}, 200, 'PATCH log_level DEBUG through the first pool') or return diag($res->{content});
	every_process_logs_debug($u, $j->{revision}, 'the second pool');
	$u->stop;
}

sub test_unset_and_restart {
	my ($t, $admin) = @_;
	my ($res, $j) = settings_req($t, $admin, 'PATCH', '', { platform_base_url => undef });
	is($res->{status}, 200, 'PATCH null') or return diag($res->{content});
	is($j->{config}{platform_base_url}, '', 'null gives the setting back to its default');
	is($j->{sources}{platform_base_url}, 'default', '... source default');
	is_deeply($j->{restart_required}, ['platform_base_url'], '... reported as needing a restart');
	$res = $t->get('/health');
	is($res->{headers}{'access-control-allow-origin'}, undef,
		'the stored cors_allow_all_origins is not in force before a restart');
	ok($t->restart, 'the pool restarts') or return diag($t->log_tail);
	($res, $j) = settings_req($t, $admin, 'GET', '');
	is($res->{status}, 200, 'GET after the restart') or return;
	is($j->{config}{zombie_execution_threshold_seconds}, 4321, 'the threshold survived the restart');
	is($j->{config}{log_level}, 'DEBUG', 'log_level too');
	is($j->{config}{cors_allow_all_origins}, JSON::PP::true, 'cors_allow_all_origins too');
	is($j->{sources}{$_}, 'database', "$_: still source database")
		for qw(zombie_execution_threshold_seconds log_level cors_allow_all_origins redis_url);
	no_secret_in($res, 'GET after the restart', $ENV_REDIS_PW);
	$res = $t->get('/health');
	is($res->{headers}{'access-control-allow-origin'} // '', '*', '... and it is after one');
	($res, $j) = settings_req($t, $admin, 'PATCH', '', { log_level => undef });
	is($j->{config}{log_level}, 'INFO', 'log_level null: the environment\'s INFO again');
	is($j->{sources}{log_level}, 'environment', '... source environment');
}

sub test_recheck {
	my ($t, $alice, $admin) = @_;
	my ($res, $j) = settings_req($t, $alice, 'POST', 'recheck-environment/');
	is($res->{status}, 200, 'recheck-environment as a user: 200') or return diag($res->{content});
	is_deeply([keys %$j], ['environment'], 'the answer is {environment}');
	check_environment_shape($j->{environment}, 'recheck');
	is($j->{environment}{rootfs_ready}, JSON::PP::false, 'no root file system yet');
	# A root file system appears: the next probe sees it.
	my $rootfs = $t->dir . '/data/rootfs/bin';
	make_path($rootfs);
	open my $fh, '>', "$rootfs/sh" or return fail("create $rootfs/sh: $!");
	print $fh "#!/bin/true\n";
	close $fh;
	chmod 0755, "$rootfs/sh";
	($res, $j) = settings_req($t, $alice, 'POST', 'recheck-environment/');
	is($j->{environment}{rootfs_ready}, JSON::PP::true, 'recheck sees the root file system');
	($res, $j) = settings_req($t, $admin, 'PATCH', '', { sandbox_mode => 'container' });
	is_deeply($j->{restart_required}, ['sandbox_mode'], 'sandbox_mode needs a restart');
	($res, $j) = settings_req($t, $alice, 'POST', 'recheck-environment/');
	is($j->{environment}{sandbox_mode}, 'container', 'the probe resolves the stored mode');
	$res = $t->post('/api/v1/settings/recheck-environment/');
	is($res->{status}, 401, 'recheck without a key: 401');
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $t = PipelitTest->started(db_url => $db_url, responders => $RESPONDERS,
		env => { REDIS_URL => "redis://:$ENV_REDIS_PW\@127.0.0.1:6379/0" }) or return;
	my $admin = make_user($t, 'root', 'root-pass-1', 'admin') or return;
	my $alice = make_user($t, 'alice', 'alice-pass-1', 'normal') or return;
	subtest read => sub { test_read($t, $alice, $admin) };
	subtest forbidden => sub { test_forbidden($t, $alice) };
	subtest validation => sub { test_validation($t, $admin) };
	subtest change => sub { test_change($t, $admin) };
	subtest lease => sub { test_lease($t, $alice) };
	subtest log_level => sub { test_log_level($t, $admin) };
	subtest 'unset and restart' => sub { test_unset_and_restart($t, $admin) };
	subtest recheck => sub { test_recheck($t, $alice, $admin) };
	subtest 'two pools' => sub { test_two_pools($t, $admin, $db_url) } if $backend eq 'postgresql';
	$t->stop;
});

done_testing;
