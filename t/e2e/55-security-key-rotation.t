# Security review, findings 16 and 8: rotating FIELD_ENCRYPTION_KEY.
#
#   16. The new key never appears on a command line: --new-key is refused
#       with a message naming --new-key-file and --new-key-stdin, which
#       both work.
use strict;
use warnings;
use Test::More;
use PipelitTest;
use PipelitAuth;

need_nginx();

sub keygen {
	my ($rc, $k) = run_command(cmd => [pipelit_bin(), 'keygen'], timeout => 30);
	chomp $k;
	return $k;
}

sub write_env_key {
	my ($t, $key, $old) = @_;
	open my $fh, '>', $t->dir . '/.env' or die "$!";
	print $fh "FIELD_ENCRYPTION_KEY=$key\n";
	print $fh "FIELD_ENCRYPTION_KEY_OLD=$old\n" if $old;
	close $fh;
}

sub cred_mask {
	my ($t, $token, $id) = @_;
	my $res = $t->get("/api/v1/credentials/$id/", bearer($token));
	return $res->{status} == 200 ? (($t->json($res) // {})->{detail} // {})->{api_key} // '' : "status $res->{status}";
}

# Runs `pipelit db rotate-key @args` with $stdin as its standard input.
sub rotate_with_stdin {
	my ($t, $stdin, @args) = @_;
	my $in = File::Temp->new(TMPDIR => 1);
	print $in $stdin;
	close $in;
	my $out = File::Temp->new(TMPDIR => 1);
	my $pid = fork // die;
	if ($pid == 0) {
		%ENV = %{ $t->env };
		chdir $t->dir;
		open STDIN, '<', $in->filename;
		open STDOUT, '>', $out->filename;
		open STDERR, '>&', \*STDOUT;
		exec pipelit_bin(), 'db', 'rotate-key', @args;
		POSIX::_exit(127);
	}
	waitpid($pid, 0);
	my $rc = $? >> 8;
	open my $fh, '<', $out->filename;
	local $/;
	return ($rc, scalar <$fh> // '');
}

sub test_key_not_on_command_line {
	my ($t, $admin, $id, $mask, $k1) = @_;
	my $k2 = keygen();
	my ($rc, $out) = $t->pipelit('db', 'rotate-key', '--new-key', $k2);
	is($rc, 2, '--new-key is refused');
	like($out, qr/--new-key-file.*--new-key-stdin|process list/s, 'pointing to the new flags') or diag($out);
	($rc, $out) = $t->pipelit('db', 'rotate-key', "--new-key=$k2");
	is($rc, 2, '--new-key=K too');
	is(cred_mask($t, $admin, $id), $mask, 'nothing was re-encrypted');

	my $file = $t->dir . '/k2';
	open my $fh, '>', $file or die;
	print $fh "$k2\n";
	close $fh;
	($rc, $out) = $t->pipelit('db', 'rotate-key', '--new-key-file', $file);
	is($rc, 0, '--new-key-file rotates') or diag($out);
	write_env_key($t, $k2);
	kill 'HUP', $t->master_pid;
	ok(wait_until(30, sub { cred_mask($t, $admin, $id) eq $mask }), 'the pool reads the secret under the new key');

	my $k3 = keygen();
	($rc, $out) = rotate_with_stdin($t, "$k3\n", '--new-key-stdin');
	is($rc, 0, '--new-key-stdin rotates') or diag($out);
	write_env_key($t, $k3);
	kill 'HUP', $t->master_pid;
	ok(wait_until(30, sub { cred_mask($t, $admin, $id) eq $mask }), 'and again');
	($rc, $out) = rotate_with_stdin($t, "", '--new-key-stdin');
	isnt($rc, 0, 'an empty standard input is refused');
	return $k3;
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $k1 = keygen();
	my $t = PipelitTest->new(db_url => $db_url, env => { FIELD_ENCRYPTION_KEY => undef });
	write_env_key($t, $k1);
	ok($t->start, 'the stack starts with its key in .env') or return diag($t->log_tail);
	my $admin = make_user($t, 'rot', 'rot-pass-123', 'admin') or return;
	my $res = $t->request('POST', '/api/v1/credentials/', { headers => bearer($admin), content => { name => 'llm',
		credential_type => 'llm', detail => { api_key => 'sk-rotate-abcdefghijklmnop' } } });
	is($res->{status}, 201, 'a credential is stored') or return diag($res->{content});
	my $id = ($t->json($res) // {})->{id};
	my $mask = cred_mask($t, $admin, $id);
	is($mask, '****mnop', 'its mask');
	subtest 'the key never on the command line' => sub { test_key_not_on_command_line($t, $admin, $id, $mask, $k1) };
	$t->stop;
});

done_testing;
