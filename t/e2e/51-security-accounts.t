# Security findings 2 and 10 (issue 11): deleting a user, changing a password.
#   2  DELETE /users/{id} ends the account at once: login is 401, every key
#      and session is refused; the row stays (soft delete) and the username
#      stays taken; the last admin cannot be deleted;
#  10  PATCH /users/me needs current_password to set a new password and ends
#      the user's other sessions (the caller's key and named API keys stay);
#      an admin's reset ends every session and revokes every named key.
use strict;
use warnings;
use Test::More;
use PipelitTest;
use PipelitAuth;

need_nginx();

my $ME = '/api/v1/auth/me/';

sub user_id_of {
	my ($t, $name) = @_;
	return $t->db_query("SELECT id FROM user_profiles WHERE username = '$name'");
}

sub test_delete {
	my ($t, $admin) = @_;
	my $dora = make_user($t, 'dora', 'dora-pass-123') or return;
	my $named = make_key($t, $dora, 'dora-script') or return fail('a named key');
	my $id = user_id_of($t, 'dora');
	is($t->request('DELETE', "/api/v1/users/$id", { headers => bearer($admin) })->{status}, 204,
		'an admin deletes dora');
	is($t->get($ME, bearer($dora))->{status}, 401, "dora's session key is refused at once");
	is($t->get($ME, bearer($named->{key}))->{status}, 401, "dora's named key is refused at once");
	is_detail($t, $t->post('/api/v1/auth/token/', { username => 'dora', password => 'dora-pass-123' }), 401,
		'Invalid credentials.', 'a deleted user cannot log in again');
	is($t->get($ME, bearer($dora))->{status}, 401, 'and the failed login revived no key');
	is_detail($t, $t->get("/api/v1/users/$id", bearer($admin)), 404, 'User not found.', 'a deleted user is not found');
	my $list = $t->json($t->get('/api/v1/users/?limit=1000', bearer($admin))) // {};
	ok(!grep({ $_->{username} eq 'dora' } @{ $list->{users} // [] }), 'nor listed');
	is($list->{total}, scalar @{ $list->{users} // [] }, 'and the total counts only active users');
	is_detail($t, $t->request('DELETE', "/api/v1/users/$id", { headers => bearer($admin) }), 404, 'User not found.',
		'deleting again: 404');
	is($t->db_query("SELECT count(*) FROM user_profiles WHERE username = 'dora'"), 1,
		'the row stays (workflows and executions keep their owner)');
	is_detail($t, $t->request('POST', '/api/v1/users/',
		{ content => { username => 'dora', password => 'other-pass-1' }, headers => bearer($admin) }), 409,
		'Username already exists.', 'the username stays taken (documented)');
	my ($rc) = $t->pipelit('user', 'passwd', '--username', 'dora', '--password', 'new-pass-123');
	isnt($rc, 0, '`pipelit user passwd` does not bring a deleted user back');
	ok(!login($t, 'dora', 'new-pass-123'), 'and no password logs in');

	my $me = $t->json($t->get('/api/v1/users/me', bearer($admin))) // {};
	is_detail($t, $t->request('DELETE', "/api/v1/users/$me->{id}", { headers => bearer($admin) }), 409,
		'Cannot delete the last admin user.', 'the last admin cannot be deleted');
}

sub patch_me {
	my ($t, $token, $body) = @_;
	return $t->request('PATCH', '/api/v1/users/me', { content => $body, headers => bearer($token) });
}

sub test_self_change {
	my ($t) = @_;
	my $session = make_user($t, 'erin', 'erin-pass-1') or return;
	my $named = make_key($t, $session, 'erin-script') or return fail('a named key');
	is_validation($t, patch_me($t, $session, { password => 'erin-pass-2' }),
		'a new password without current_password: 422');
	is_detail($t, patch_me($t, $session, { password => 'erin-pass-2', current_password => 'not-it-1' }), 400,
		'Current password is incorrect.', 'with a wrong current_password: 400 (not 401: the session stays)');
	ok(login($t, 'erin', 'erin-pass-1'), 'the refused changes left the password as it was');
	$session = login($t, 'erin', 'erin-pass-1');
	is(patch_me($t, $session, { first_name => 'Erin' })->{status}, 200, 'other fields need no current_password');

	# Changed with the named key: the session (another one) ends.
	my $res = patch_me($t, $named->{key}, { password => 'erin-pass-2', current_password => 'erin-pass-1' });
	is($res->{status}, 200, 'a change with current_password') or diag($res->{content});
	is_detail($t, $t->get($ME, bearer($session)), 401, 'API key has been revoked.', 'the other session ended');
	is($t->get($ME, bearer($named->{key}))->{status}, 200, "the caller's own key survives");
	ok(!login($t, 'erin', 'erin-pass-1'), 'the old password is refused');

	# Changed with the session key: it survives, and so does the named key.
	$session = login($t, 'erin', 'erin-pass-2');
	$res = patch_me($t, $session, { password => 'erin-pass-3', current_password => 'erin-pass-2' });
	is($res->{status}, 200, 'a change through the session key');
	is($t->get($ME, bearer($session))->{status}, 200, 'the session that made the change survives');
	is($t->get($ME, bearer($named->{key}))->{status}, 200, 'named API keys stay');
	return ($session, $named->{key});
}

sub test_admin_reset {
	my ($t, $admin, $session, $named) = @_;
	my $id = user_id_of($t, 'erin');
	my $res = $t->request('PATCH', "/api/v1/users/$id", { content => { password => 'reset-pass-1' }, headers => bearer($admin) });
	is($res->{status}, 200, 'an admin resets erin\'s password') or diag($res->{content});
	is_detail($t, $t->get($ME, bearer($session)), 401, 'API key has been revoked.', 'every session of erin ends');
	is_detail($t, $t->get($ME, bearer($named)), 401, 'API key has been revoked.', 'and every named key is revoked');
	is($t->get($ME, bearer($admin))->{status}, 200, "the admin's own key is untouched");
	ok(login($t, 'erin', 'reset-pass-1'), 'the new password logs in');
	my $me = $t->json($t->get('/api/v1/users/me', bearer($admin))) // {};
	$res = $t->request('PATCH', "/api/v1/users/$me->{id}", { content => { password => 'admin-pass-2' }, headers => bearer($admin) });
	is($res->{status}, 200, 'an admin resets their own password through /users/{id}');
	is($t->get($ME, bearer($admin))->{status}, 200, 'and keeps the key they did it with');
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $t = PipelitTest->started(db_url => $db_url) or return;
	my $admin = make_user($t, 'root', 'root-pass-123', 'admin') or return;
	test_delete($t, $admin);
	my ($session, $named) = test_self_change($t);
	test_admin_reset($t, $admin, $session, $named) if $session;
});

done_testing;
