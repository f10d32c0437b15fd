# Workspaces (/api/v1/workspaces/...): create, list, get, update, delete,
# batch delete, reset and reset-rootfs with the spec's shapes and errors;
# scoping (another user's workspace is a 404, admins included); unique
# names and paths; the default workspace (made on first need, owned by the
# first user, never deleted); every path that escapes the workspaces root
# refused with the spec's 400 and nothing made (.., absolute paths
# elsewhere, a planted symlink, slashes, NUL and control characters,
# over-long names); directories 0700; reset, reset-rootfs and delete remove
# a planted symlink without touching what it points at, and cope with a
# tree deeper than they keep descriptors for; environment variables stored
# sealed, answered masked, the masked round trip (what GET answered, sent
# back in a PATCH, keeps the stored values), no secret in any answer, the
# database or the log; rotate-key keeps them readable.  Both backends.
use strict;
use warnings;
use Test::More;
use File::Path qw(make_path remove_tree);
use JSON::PP;
use PipelitTest;
use PipelitAuth;

need_nginx();

my $ANSWERS = '';   # every answer body, searched for secrets at the end

sub ws_req {
	my ($t, $token, $method, $path, $body) = @_;
	my ($res, $j) = api_req($t, $token, $method, "workspaces/$path", $body);
	$ANSWERS .= ($res->{content} // '') . "\n";
	return ($res, $j);
}

sub mask_of {
	my ($s) = @_;
	return length($s) < 12 ? '****' : '****' . substr($s, -4);
}

sub mode_of { my ($p) = @_; my @s = lstat($p); return @s ? sprintf('%04o', $s[2] & 07777) : 'missing' }

sub entries {
	my ($dir) = @_;
	opendir(my $d, $dir) or return ['missing'];
	my @e = sort grep { $_ ne '.' && $_ ne '..' } readdir $d;
	return \@e;
}

sub write_file {
	my ($path, $text) = @_;
	open my $fh, '>', $path or die "$path: $!";
	print $fh $text;
	close $fh;
}

sub root_of { my ($t) = @_; return $t->dir . '/data/workspaces' }

sub test_default {
	my ($t, $admin, $alice) = @_;
	my $root = root_of($t);
	my ($res, $j) = ws_req($t, $alice, 'GET', '');
	is($res->{status}, 200, 'alice lists her workspaces');
	is_deeply($j, { items => [], total => 0 }, 'she has none: the default belongs to the first user');
	($res, $j) = ws_req($t, $admin, 'GET', '');
	is($j->{total}, 1, 'the first user has one');
	my $d = $j->{items}[0] // {};
	is($d->{name}, 'default', 'named default');
	is($d->{path}, "$root/default", 'at <root>/default');
	is(mode_of("$root/default"), '0700', 'its directory is 0700');
	is(mode_of("$root/default/.tmp"), '0700', 'with a .tmp/ of 0700');
	is(mode_of($root), '0700', 'and the root made 0700');
	($res, $j) = ws_req($t, $admin, 'GET', '');
	is($j->{total}, 1, 'listing again makes no second one');
	return $d;
}

sub test_crud_and_masks {
	my ($t, $alice, $secret, $cred) = @_;
	my $root = root_of($t);
	my ($res, $j) = ws_req($t, $alice, 'POST', '', { name => 'proj', allow_network => 'true', ignored => 1,
		env_vars => [{ key => 'API_TOKEN', value => $secret }, { key => 'SHORT', value => 'abc' },
			{ key => 'EMPTY', value => '' },
			{ key => 'FROM_CRED', source => 'credential', credential_id => $cred, credential_field => 'api_key' }] });
	is($res->{status}, 201, 'create: 201') or return diag($res->{content});
	is_deeply([sort keys %$j], [sort qw(id name path allow_network env_vars created_at)], 'WorkspaceOut keys');
	is($j->{path}, "$root/proj", 'the default path is <root>/<name>');
	is($j->{allow_network}, JSON::PP::true, 'allow_network coerced from "true"');
	like($j->{created_at}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/, 'created_at is ISO-8601 with Z');
	is_deeply($j->{env_vars}, [
		{ key => 'API_TOKEN', value => mask_of($secret), credential_id => undef, credential_field => undef, source => 'raw' },
		{ key => 'SHORT', value => '****', credential_id => undef, credential_field => undef, source => 'raw' },
		{ key => 'EMPTY', value => '', credential_id => undef, credential_field => undef, source => 'raw' },
		{ key => 'FROM_CRED', value => undef, credential_id => $cred, credential_field => 'api_key', source => 'credential' },
	], 'env_vars: every key present, values masked');
	is(mode_of("$root/proj"), '0700', 'the directory is made 0700');
	is(mode_of("$root/proj/.tmp"), '0700', 'with its .tmp/');
	my $stored = $t->db_query("SELECT env_vars FROM workspaces WHERE id = $j->{id}") // '';
	like($stored, qr/"v2:/, 'the stored values are sealed');
	unlike($stored, qr/\Q$secret\E|"abc"/, 'and not in clear');

	my ($r2, $got) = ws_req($t, $alice, 'GET', "$j->{id}/");
	is($r2->{status}, 200, 'GET one');
	is_deeply($got, $j, 'GET one equals what create returned');
	($r2, $got) = ws_req($t, $alice, 'GET', '?limit=1&offset=0');
	is($got->{total}, 1, 'list total');
	is_deeply($got->{items}, [$j], 'list items');

	# The masked round trip: what was read, sent back, keeps every value.
	($r2, $got) = ws_req($t, $alice, 'PATCH', "$j->{id}/", { env_vars => $j->{env_vars} });
	is($r2->{status}, 200, 'PATCH with the env_vars GET answered') or diag($r2->{content});
	is_deeply($got->{env_vars}, $j->{env_vars}, 'the masks are the same');
	my $after = $t->db_query("SELECT env_vars FROM workspaces WHERE id = $j->{id}") // '';
	unlike($after, qr/\*\*\*\*/, 'no mask was stored in place of a value');
	($r2, $got) = ws_req($t, $alice, 'PATCH', "$j->{id}/", { allow_network => JSON::PP::false, env_vars => undef });
	is($got->{allow_network}, JSON::PP::false, 'PATCH allow_network');
	is_deeply($got->{env_vars}, $j->{env_vars}, 'env_vars: null leaves them');

	my $new = 'second-' . $secret;
	($r2, $got) = ws_req($t, $alice, 'PATCH', "$j->{id}/", { env_vars => [
		{ key => 'API_TOKEN', value => mask_of($secret) }, { key => 'SHORT', value => $new }] });
	is($r2->{status}, 200, 'PATCH: one kept by its mask, one replaced, two left out');
	is_deeply([map { [$_->{key}, $_->{value}] } @{ $got->{env_vars} }],
		[['API_TOKEN', mask_of($secret)], ['SHORT', mask_of($new)]], 'the list is replaced as sent');
	# A mask under a key with no stored value would store the mask itself.
	($r2, $got) = ws_req($t, $alice, 'PATCH', "$j->{id}/", { env_vars => [{ key => 'RENAMED', value => mask_of($secret) }] });
	is_validation($t, $r2, 'a mask under a new key');
	is_deeply(($got->{detail} // [{}])->[0]{loc}, ['body', 'env_vars', 0, 'value'], 'names the value');
	($r2, $got) = ws_req($t, $alice, 'PATCH', "$j->{id}/", { env_vars => [{ key => 'SHORT', value => '****' }] });
	is_validation($t, $r2, '"****" for a value whose mask is not "****"');
	($r2, $got) = ws_req($t, $alice, 'POST', '', { name => 'masked', env_vars => [{ key => 'A', value => '****' }] });
	is_validation($t, $r2, 'a mask in a create');
	($r2, $got) = ws_req($t, $alice, 'GET', "$j->{id}/");
	is_deeply([map { $_->{value} } @{ $got->{env_vars} }], [mask_of($secret), mask_of($new)], 'refused PATCHes changed nothing');
	return { %$j, env_vars => $got->{env_vars} };
}

sub test_scoping {
	my ($t, $admin, $alice, $bob, $ws, $default) = @_;
	my $id = $ws->{id};
	for my $case (['GET', "$id/"], ['PATCH', "$id/", { allow_network => 1 }], ['DELETE', "$id/"],
		['POST', "$id/reset/"], ['POST', "$id/reset-rootfs/"]) {
		my ($res) = ws_req($t, $bob, @$case);
		is_detail($t, $res, 404, 'Workspace not found.', "bob $case->[0] $case->[1]");
		($res) = ws_req($t, $admin, @$case);
		is_detail($t, $res, 404, 'Workspace not found.', "an admin $case->[0] $case->[1] of alice's");
	}
	my ($res) = ws_req($t, $alice, 'DELETE', "$default->{id}/");
	is_detail($t, $res, 404, 'Workspace not found.', 'alice DELETE the first user\'s default');
	my (undef, $j) = ws_req($t, $bob, 'GET', '');
	is($j->{total}, 0, 'bob lists none of them');
	(undef, $j) = ws_req($t, $admin, 'GET', '');
	is_deeply([map { $_->{name} } @{ $j->{items} }], ['default'], 'an admin lists only his own');
	($res) = ws_req($t, $bob, 'POST', 'batch-delete/', { ids => [$id] });
	is($res->{status}, 204, 'bob batch-deletes alice\'s id: 204');
	is(row_count($t, 'workspaces'), 2, 'but it is still there');
	ok(-d $ws->{path}, 'and so is its directory');
}

sub test_unique {
	my ($t, $admin, $bob, $ws) = @_;
	my $root = root_of($t);
	my ($res) = ws_req($t, $bob, 'POST', '', { name => 'proj' });
	is_detail($t, $res, 409, 'Workspace with this name already exists.', 'another user takes a taken name');
	($res) = ws_req($t, $bob, 'POST', '', { name => 'default' });
	is_detail($t, $res, 409, 'Workspace with this name already exists.', 'the name default');
	($res) = ws_req($t, $bob, 'POST', '', { name => 'other', path => "$root/proj" });
	is_detail($t, $res, 409, 'Workspace with this path already exists.', 'another name on a taken directory');
	($res) = ws_req($t, $bob, 'POST', '', { name => 'other', path => 'proj' });
	is($res->{status}, 409, 'the same as a relative path');
	($res) = ws_req($t, $admin, 'DELETE', '999999/');
	is_detail($t, $res, 404, 'Workspace not found.', 'an unknown id');
	# Files no workspace owns are not handed to a new one.
	make_path("$root/leftover");
	write_file("$root/leftover/notes.txt", 'someone else\'s');
	($res) = ws_req($t, $bob, 'POST', '', { name => 'leftover' });
	is($res->{status}, 409, 'a directory that exists with files: 409') or diag($res->{content});
	is_deeply(entries("$root/leftover"), ['notes.txt'], 'and it is left as it was');
	make_path("$root/vacant");
	my ($r2, $j) = ws_req($t, $bob, 'POST', '', { name => 'vacant' });
	is($r2->{status}, 201, 'an empty directory that exists is taken');
	is(mode_of("$root/vacant"), '0700', 'and made private');
	return $j;
}

sub test_escapes {
	my ($t, $alice, $outside) = @_;
	my $root = root_of($t);
	my $msg = "Workspace path must be under $root/";
	make_path($outside);
	write_file("$outside/keep.txt", 'outside');
	symlink($outside, "$root/evil") or return fail("symlink: $!");
	my $rows = row_count($t, 'workspaces');
	my $before = entries($root);
	my @cases = (
		['name ..', { name => '..' }],
		['name .', { name => '.' }],
		['name with ..', { name => '../escaped' }],
		['name with a slash', { name => 'a/b' }],
		['name with a newline', { name => "a\nb" }],
		['name of a planted symlink', { name => 'evil' }],
		['path ..', { name => 'p1', path => '../escaped' }],
		['path through ..', { name => 'p2', path => "$root/../escaped" }],
		['path . inside', { name => 'p3', path => "$root/./p3" }],
		['absolute path elsewhere', { name => 'p4', path => "$outside/p4" }],
		['/tmp', { name => 'p5', path => '/tmp' }],
		['the root itself', { name => 'p6', path => $root }],
		['the root with a slash', { name => 'p6', path => "$root/" }],
		['a nested path', { name => 'p7', path => "$root/a/b" }],
		['a path through a planted symlink', { name => 'p8', path => "$root/evil" }],
		['a path under a planted symlink', { name => 'p9', path => "$root/evil/x" }],
		['a prefix of the root', { name => 'p10', path => "${root}x/p10" }],
		['an empty path', { name => 'p11', path => '' }],
		['an over-long path component', { name => 'p12', path => "$root/" . ('x' x 300) }],
	);
	for my $case (@cases) {
		my ($name, $body) = @$case;
		my ($res) = ws_req($t, $alice, 'POST', '', $body);
		is_detail($t, $res, 400, $msg, $name);
	}
	my ($res) = ws_req($t, $alice, 'POST', '', { name => 'x' x 101 });
	is_validation($t, $res, 'a name over 100 characters');
	($res) = ws_req($t, $alice, 'POST', '', { name => '' });
	is_validation($t, $res, 'an empty name');
	$res = $t->request('POST', '/api/v1/workspaces/', { headers => { %{ bearer($alice) },
		'Content-Type' => 'application/json' }, content => '{"name": "a\u0000b"}' });
	ok($res->{status} == 400 || $res->{status} == 422, "a NUL in the name is refused ($res->{status})");
	$res = $t->request('POST', '/api/v1/workspaces/', { headers => { %{ bearer($alice) },
		'Content-Type' => 'application/json' }, content => qq({"name": "p13", "path": "$root/a\\u0000b"}) });
	ok($res->{status} == 400 || $res->{status} == 422, "a NUL in the path is refused ($res->{status})");
	is(row_count($t, 'workspaces'), $rows, 'no row was written');
	is_deeply(entries($root), $before, 'no directory was made under the root');
	is_deeply(entries($outside), ['keep.txt'], 'nor anything where the symlink points');
	ok(!-e "$root/../escaped", 'nor beside the root');
	unlink "$root/evil";
}

# A tree with a file, a subdirectory, a deep chain, and symlinks to a
# directory and a file outside.
sub plant_tree {
	my ($dir, $outside) = @_;
	write_file("$dir/file.txt", 'x');
	make_path("$dir/sub/inner");
	write_file("$dir/sub/inner/f", 'y');
	my $deep = "$dir/deep" . ('/d' x 120);
	make_path($deep);
	write_file("$deep/bottom", 'z');
	chmod 0500, "$dir/sub";   # a directory of ours without write permission
	symlink($outside, "$dir/link-dir") or die "symlink: $!";
	symlink("$outside/keep.txt", "$dir/link-file") or die "symlink: $!";
	symlink($outside, "$dir/sub/inner/link") or die "symlink: $!";
}

sub test_reset {
	my ($t, $alice, $ws, $outside) = @_;
	my $dir = $ws->{path};
	plant_tree($dir, $outside);
	my ($res, $j) = ws_req($t, $alice, 'POST', "$ws->{id}/reset/");
	is($res->{status}, 200, 'reset: 200') or diag($res->{content});
	is_deeply($j, { ok => JSON::PP::true, message => "Workspace 'proj' has been reset." }, 'the spec\'s answer');
	is_deeply(entries($dir), ['.tmp'], 'the directory holds only a new .tmp/');
	is(mode_of($dir), '0700', 'still 0700');
	is_deeply(entries($outside), ['keep.txt'], 'what the symlinks pointed at is untouched');
	is(PipelitTest::slurp("$outside/keep.txt"), 'outside', 'to the byte');

	make_path("$dir/.rootfs/usr/bin");
	write_file("$dir/.rootfs/usr/bin/sh", 'elf');
	write_file("$dir/work.txt", 'mine');
	symlink($outside, "$dir/.rootfs/escape") or die "symlink: $!";
	($res, $j) = ws_req($t, $alice, 'POST', "$ws->{id}/reset-rootfs/");
	is($res->{status}, 200, 'reset-rootfs: 200') or diag($res->{content});
	is_deeply($j, { ok => JSON::PP::true,
		message => "Rootfs cleared for workspace 'proj'. Will be re-created on next execution." }, 'the spec\'s answer');
	is_deeply(entries($dir), ['.tmp', 'work.txt'], '.rootfs is gone, the rest stays');
	is_deeply(entries($outside), ['keep.txt'], 'the outside is untouched');
	symlink($outside, "$dir/.rootfs") or die "symlink: $!";
	($res) = ws_req($t, $alice, 'POST', "$ws->{id}/reset-rootfs/");
	is($res->{status}, 200, 'reset-rootfs with .rootfs a symlink to outside');
	ok(!-l "$dir/.rootfs" && -d $outside, 'the link is removed, its target kept');
	is_deeply(entries($outside), ['keep.txt'], 'and left as it was');
	($res) = ws_req($t, $alice, 'POST', "$ws->{id}/reset-rootfs/");
	is($res->{status}, 200, 'reset-rootfs without a .rootfs: 200');

	# The workspace directory itself swapped for a symlink.
	rename($dir, "$dir.away") or die "rename: $!";
	symlink($outside, $dir) or die "symlink: $!";
	($res) = ws_req($t, $alice, 'POST', "$ws->{id}/reset/");
	is_detail($t, $res, 400, 'Workspace path must be under ' . root_of($t) . '/',
		'reset of a workspace whose directory became a symlink');
	is_deeply(entries($outside), ['keep.txt'], 'the symlink\'s target is untouched');
	unlink $dir;
	rename("$dir.away", $dir) or die "rename: $!";
	remove_tree($dir);
	($res) = ws_req($t, $alice, 'POST', "$ws->{id}/reset/");
	is($res->{status}, 200, 'reset of a missing directory makes it again');
	is_deeply(entries($dir), ['.tmp'], 'with its .tmp/');
}

sub test_delete {
	my ($t, $admin, $bob, $default, $vacant, $outside) = @_;
	my $root = root_of($t);
	my ($res) = ws_req($t, $admin, 'DELETE', "$default->{id}/");
	is_detail($t, $res, 403, 'Cannot delete the default workspace.', 'DELETE default');
	($res) = ws_req($t, $admin, 'POST', 'batch-delete/', { ids => [$default->{id}] });
	is($res->{status}, 204, 'batch-delete of default: 204');
	ok(-d "$root/default" && $t->db_query("SELECT count(*) FROM workspaces WHERE name = 'default'") == 1,
		'default is skipped silently');
	plant_tree($vacant->{path}, $outside);
	($res) = ws_req($t, $bob, 'DELETE', "$vacant->{id}/");
	is($res->{status}, 204, 'DELETE: 204') or diag($res->{content});
	ok(!-e $vacant->{path}, 'the directory is removed');
	is_deeply(entries($outside), ['keep.txt'], 'what its symlinks pointed at is untouched');
	($res) = ws_req($t, $bob, 'GET', "$vacant->{id}/");
	is($res->{status}, 404, 'and the workspace is gone');
	my (undef, $a) = ws_req($t, $bob, 'POST', '', { name => 'b1' });
	my (undef, $b) = ws_req($t, $bob, 'POST', '', { name => 'b2' });
	($res) = ws_req($t, $bob, 'POST', 'batch-delete/', { ids => [$a->{id}, "$b->{id}", 999999, $default->{id}] });
	is($res->{status}, 204, 'batch-delete: 204');
	my (undef, $j) = ws_req($t, $bob, 'GET', '');
	is($j->{total}, 0, 'both are gone');
	ok(!-e "$root/b1" && !-e "$root/b2", 'with their directories');
	my ($r2, $j2) = ws_req($t, $bob, 'POST', '', { name => 'b1' });
	is($r2->{status}, 201, 'a deleted name can be used again');
}

sub test_hostile {
	my ($t, $alice, $ws, $bobs_cred) = @_;
	my $rows = row_count($t, 'workspaces');
	my @cases = (
		['name missing', 'POST', '', { path => 'x' }, 'missing', ['body', 'name']],
		['name a number', 'POST', '', { name => 5 }, 'string_type', ['body', 'name']],
		['allow_network not a bool', 'POST', '', { name => 'h', allow_network => 'maybe' }, 'bool_parsing', ['body', 'allow_network']],
		['env_vars a string', 'POST', '', { name => 'h', env_vars => 'x' }, 'list_type', ['body', 'env_vars']],
		['env var not an object', 'POST', '', { name => 'h', env_vars => [1] }, 'model_type', ['body', 'env_vars', 0]],
		['env key missing', 'POST', '', { name => 'h', env_vars => [{ value => 'v' }] }, 'missing', ['body', 'env_vars', 0, 'key']],
		['env key with =', 'POST', '', { name => 'h', env_vars => [{ key => 'A=B', value => 'v' }] },
			'string_pattern_mismatch', ['body', 'env_vars', 0, 'key']],
		['env key twice', 'POST', '', { name => 'h', env_vars => [{ key => 'A' }, { key => 'A' }] },
			'value_error', ['body', 'env_vars', 1, 'key']],
		['env source unknown', 'POST', '', { name => 'h', env_vars => [{ key => 'A', source => 'file' }] },
			'literal_error', ['body', 'env_vars', 0, 'source']],
		['another user\'s credential', 'POST', '', { name => 'h', env_vars => [{ key => 'A', source => 'credential',
			credential_id => $bobs_cred }] }, 'value_error', ['body', 'env_vars', 0, 'credential_id']],
		['PATCH env_vars a dict', 'PATCH', "$ws->{id}/", { env_vars => {} }, 'list_type', ['body', 'env_vars']],
		['non-integer id', 'GET', 'abc/', undef, 'int_parsing', ['path', 'workspace_id']],
		['batch ids missing', 'POST', 'batch-delete/', {}, 'missing', ['body', 'ids']],
		['batch id not an int', 'POST', 'batch-delete/', { ids => [$ws->{id}, 'x'] }, 'int_parsing', ['body', 'ids', 1]],
		['body a list', 'POST', '', [1], undef, undef],
	);
	for my $case (@cases) {
		my ($name, $method, $path, $body, $type, $loc) = @$case;
		my ($res, $j) = ws_req($t, $alice, $method, $path, $body);
		is_validation($t, $res, $name) or next;
		next unless defined $type;
		my ($item) = grep { $_->{type} eq $type } @{ $j->{detail} // [] };
		ok($item, "$name: an item of type $type") or diag($res->{content});
		is_deeply($item->{loc}, $loc, "$name: loc") if $item;
	}
	my ($res) = ws_req($t, $alice, 'GET', '?limit=-1');
	is_validation($t, $res, 'negative limit');
	is(row_count($t, 'workspaces'), $rows, 'hostile requests wrote nothing');
	ok(!-e root_of($t) . '/h', 'and made no directory');
}

sub test_at_rest {
	my ($t, $backend, $secret) = @_;
	my $text = $backend eq 'sqlite' ? sqlite_files_text($t) : pg_dump_text($t);
	ok(defined $text && length $text, "the $backend data can be read") or return;
	ok(index($text, $secret) < 0, "the $backend data does not contain the secret");
	ok(index($ANSWERS, $secret) < 0, 'no answer contained it');
	ok(index($t->log_text, $secret) < 0, 'the log does not contain it');
}

sub keygen {
	my ($rc, $k) = run_command(cmd => [pipelit_bin(), 'keygen'], timeout => 30);
	chomp $k;
	return $k;
}

sub write_env_key {
	my ($t, $key) = @_;
	write_file($t->dir . '/.env', "FIELD_ENCRYPTION_KEY=$key\n");
}

# rotate-key re-seals workspace variables: after it, the pool on the new
# key alone reads them (the same masks), and no value is under the old key.
sub test_rotation {
	my ($db_url, $secret) = @_;
	my $t = PipelitTest->new(db_url => $db_url, env => { FIELD_ENCRYPTION_KEY => undef });
	# The key the first stack sealed with: this database is the same.
	my $old = PipelitTest::encryption_key();
	write_env_key($t, $old);
	ok($t->start, 'a stack with its key in .env starts') or return diag($t->log_tail);
	my $token = make_user($t, 'rot', 'rot-pass-123', 'admin') or return;
	my $ws = api_ok($t, $token, 'POST', 'workspaces/', { name => 'rot', env_vars => [{ key => 'TOKEN', value => $secret },
		{ key => 'OTHER', value => "x$secret" }] }, 201, 'a workspace with variables');
	my $before = $t->db_query("SELECT env_vars FROM workspaces WHERE id = $ws->{id}");
	is($t->stop, 0, 'the pool stops');
	my $new = keygen();
	my $file = $t->dir . '/new-key';
	write_file($file, "$new\n");
	my ($rc, $out) = $t->pipelit('db', 'rotate-key', '--new-key-file', $file);
	is($rc, 0, 'rotate-key succeeds') or diag($out);
	my $after = $t->db_query("SELECT env_vars FROM workspaces WHERE id = $ws->{id}");
	isnt($after, $before, 'the stored values changed');
	write_env_key($t, $new);
	ok($t->start, 'the pool starts on the new key alone') or return diag($t->log_tail);
	my $j = api_ok($t, $token, 'GET', "workspaces/$ws->{id}/", undef, 200, 'the workspace reads');
	is_deeply($j->{env_vars}, $ws->{env_vars}, 'with the same masks');
	$j = api_ok($t, $token, 'PATCH', "workspaces/$ws->{id}/", { env_vars => $ws->{env_vars} }, 200,
		'the masked round trip on the new key');
	is_deeply($j->{env_vars}, $ws->{env_vars}, 'keeps them');
	$t->stop;
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $secret = 'sk-ws-' . random_name() . random_name();
	$ANSWERS = '';
	{
		my $t = PipelitTest->started(db_url => $db_url) or return;
		my $admin = make_user($t, 'root', 'root-pass-1', 'admin') or return;
		my $alice = make_user($t, 'alice', 'alice-pass-1', 'normal') or return;
		my $bob = make_user($t, 'bob', 'bob-pass-1', 'normal') or return;
		my $cred = api_ok($t, $alice, 'POST', 'credentials/', { name => 'c', credential_type => 'llm' }, 201,
			'alice has a credential');
		my $bobs = api_ok($t, $bob, 'POST', 'credentials/', { name => 'b', credential_type => 'llm' }, 201,
			'bob has one');
		my $outside = $t->dir . '/outside';
		my $default = test_default($t, $admin, $alice);
		my $ws = test_crud_and_masks($t, $alice, $secret, $cred->{id}) or return;
		subtest scoping => sub { test_scoping($t, $admin, $alice, $bob, $ws, $default) };
		my $vacant;
		subtest unique => sub { $vacant = test_unique($t, $admin, $bob, $ws) };
		subtest escapes => sub { test_escapes($t, $alice, $outside) };
		subtest reset => sub { test_reset($t, $alice, $ws, $outside) };
		subtest delete => sub { test_delete($t, $admin, $bob, $default, $vacant, $outside) };
		subtest hostile => sub { test_hostile($t, $alice, $ws, $bobs->{id}) };
		subtest 'at rest' => sub { test_at_rest($t, $backend, $secret) };
		$t->stop;
	}
	subtest rotation => sub { test_rotation($db_url, $secret) };
});

done_testing;
