# Live events through nginx's pub/sub module: tickets from the API
# (POST /api/v1/events/ticket/), nginx asking pipelit whether a subscriber
# may connect, and a real EventSource subscriber that receives a published
# event within a second.  Missing, expired, forged and other users' tickets
# are refused; the subscriber check cannot be called from outside nginx.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use Time::HiRes qw(sleep time);
use PipelitTest;
use PipelitAuth;
use PipelitEvents;

need_nginx();
plan skip_all => 'libnginx-mod-nchan is not installed'
	unless -f '/usr/lib/nginx/modules/ngx_nchan_module.so';

my $TICKET_SECONDS = 2;

sub make_workflow {
	my ($t, $slug, $owner) = @_;
	$t->db_query("INSERT INTO workflows (name, slug, owner_id) "
		. "SELECT 'Events $slug', '$slug', id FROM user_profiles WHERE username = '$owner'");
}

sub test_tickets {
	my ($t, $alice, $bob, $admin) = @_;
	my ($res, $j) = ticket($t, $alice, 'workflow:ev-alice');
	is($res->{status}, 200, 'owner gets a ticket') or diag($res->{content});
	is($j->{expires_in}, $TICKET_SECONDS, 'expires_in is EVENT_TICKET_SECONDS');
	like($j->{ticket}, qr/^\d+\.\d+\.[A-Za-z0-9_-]+$/, 'ticket is user.expiry.mac');
	is($j->{url}, "/events/workflow/ev-alice?ticket=$j->{ticket}", 'url names the channel and ticket');
	unlike($j->{url}, qr/alice-pass|Bearer/, 'no credential in the url');

	($res) = ticket($t, $bob, 'workflow:ev-alice');
	is_detail($t, $res, 404, 'Workflow not found.', "another user's workflow is a 404");
	($res) = ticket($t, $admin, 'workflow:ev-alice');
	is($res->{status}, 200, 'an admin gets a ticket for any workflow');
	($res) = ticket($t, $alice, 'workflow:no-such');
	is_detail($t, $res, 404, 'Workflow not found.', 'unknown workflow is a 404');
	($res) = ticket($t, $alice, 'execution:00000000-0000-4000-8000-000000000000');
	is_detail($t, $res, 404, 'Execution not found.', 'unknown execution is a 404');
	for my $bad ('', 'workflow:', 'nope:ev-alice', 'workflow:a|b', 'workflow:../x') {
		($res) = ticket($t, $alice, $bad);
		is($res->{status}, 422, "channel '$bad' is a 422");
	}
	$res = $t->post('/api/v1/events/ticket/', { channel => 'workflow:ev-alice' });
	is($res->{status}, 401, 'no API key: 401');
}

sub test_delivery {
	my ($t, $alice) = @_;
	my (undef, $j) = ticket($t, $alice, 'workflow:ev-alice');
	my ($status, $s) = subscribe($t, $j->{url});
	is($status, 200, 'subscriber with a ticket is accepted') or return;
	my $sent = time;
	my $res = $t->post('/api/v1/_test/publish/', { channel => 'workflow:ev-alice', type => 'node_created',
		data => { node_id => 'agent_1', component_type => 'agent' } });
	is($t->json($res)->{published}, JSON::PP::true, 'publish reached nginx') or diag($res->{content});
	my $text = read_until($s, qr/^data: .*\n/m, 1);
	ok(time - $sent < 1, 'event arrived within a second');
	my ($line) = $text =~ /^data: (.*)$/m;
	ok(defined $line, 'subscriber received an event') or return diag($text);
	my $ev = eval { decode_json($line) } // {};
	is($ev->{type}, 'node_created', 'type');
	is($ev->{channel}, 'workflow:ev-alice', 'channel');
	is_deeply($ev->{data}, { node_id => 'agent_1', component_type => 'agent' }, 'data');
	like($ev->{timestamp}, qr/^\d+(\.\d+)?$/, 'timestamp in epoch seconds');
	close $s;

	(undef, $j) = ticket($t, $alice, 'workflow:ev-alice');
	($status, $s) = subscribe($t, $j->{url});
	$t->post('/api/v1/_test/publish/', { channel => 'workflow:ev-other', type => 'node_deleted', data => {} });
	$t->post('/api/v1/_test/publish/', { channel => 'workflow:ev-alice', type => 'edge_deleted', data => { id => 7 } });
	$text = read_until($s, qr/^data: .*\n/m, 1);
	($line) = $text =~ /^data: (.*)$/m;
	my $ev2 = eval { decode_json($line // '') } // {};
	is($ev2->{type}, 'edge_deleted', "another channel's event is not delivered");
	close $s;
}

# A change made by another request reaches a subscriber: PATCH of a workflow
# publishes workflow_updated (WorkflowOut) on the channel of its old slug.
sub test_workflow_updated {
	my ($t, $alice) = @_;
	my $res = $t->request('POST', '/api/v1/workflows/', { headers => bearer($alice),
		content => { name => 'Live one', slug => 'ev-live' } });
	is($res->{status}, 201, 'a workflow created through the API') or return diag($res->{content});
	my (undef, $j) = ticket($t, $alice, 'workflow:ev-live');
	my ($status, $s) = subscribe($t, $j->{url});
	is($status, 200, 'subscribed to its channel') or return;
	my $sent = time;
	$res = $t->request('PATCH', '/api/v1/workflows/ev-live/', { headers => bearer($alice),
		content => { description => 'changed live', slug => 'ev-live-2' } });
	is($res->{status}, 200, 'PATCH answers 200') or return diag($res->{content});
	my $text = read_until($s, qr/^data: .*\n/m, 2);
	my ($line) = $text =~ /^data: (.*)$/m;
	ok(defined $line && time - $sent < 1, 'the subscriber heard of it within a second') or return diag($text);
	my $ev = eval { decode_json($line) } // {};
	is($ev->{type}, 'workflow_updated', 'type workflow_updated');
	is($ev->{channel}, 'workflow:ev-live', 'on the channel of the old slug');
	is($ev->{data}{slug}, 'ev-live-2', 'data is the WorkflowOut with the new slug');
	is($ev->{data}{description}, 'changed live', 'and the new description');
	close $s;
}

sub test_refusals {
	my ($t, $alice, $bob) = @_;
	my ($status) = subscribe($t, '/events/workflow/ev-alice');
	is($status, 403, 'no ticket: 403');
	my (undef, $j) = ticket($t, $alice, 'workflow:ev-alice');
	(my $forged = $j->{ticket}) =~ s/(.)$/$1 eq 'A' ? 'B' : 'A'/e;
	($status) = subscribe($t, "/events/workflow/ev-alice?ticket=$forged");
	is($status, 403, 'forged mac: 403');
	(my $longer = $j->{ticket}) =~ s/^(\d+)\.(\d+)\./"$1." . ($2 + 3600) . "."/e;
	($status) = subscribe($t, "/events/workflow/ev-alice?ticket=$longer");
	is($status, 403, 'extended expiry: 403');
	(my $other_user = $j->{ticket}) =~ s/^(\d+)\./($1 + 1) . "."/e;
	($status) = subscribe($t, "/events/workflow/ev-alice?ticket=$other_user");
	is($status, 403, 'changed user id: 403');
	my (undef, $b) = ticket($t, $bob, 'workflow:ev-bob');
	($status) = subscribe($t, "/events/workflow/ev-alice?ticket=$b->{ticket}");
	is($status, 403, "another user's ticket (for another channel): 403");
	($status) = subscribe($t, "/events/execution/ev-alice?ticket=$j->{ticket}");
	is($status, 403, 'ticket on another kind of channel: 403');

	my $res = $t->get("/api/v1/events/authorize/?ticket=$j->{ticket}",
		{ 'Pipelit-Events-Auth' => '1', 'X-Pipelit-Events-Uri' => $j->{url} });
	is($res->{status}, 403, 'the subscriber check is refused from outside nginx');

	sleep($TICKET_SECONDS + 1.2);
	($status) = subscribe($t, $j->{url});
	is($status, 403, 'expired ticket: 403');
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $t = PipelitTest->started(db_url => $db_url, env => { EVENT_TICKET_SECONDS => $TICKET_SECONDS })
		or return;
	my $admin = make_user($t, 'root', 'root-pass-1', 'admin') or return;
	my $alice = make_user($t, 'alice', 'alice-pass-1', 'normal') or return;
	my $bob = make_user($t, 'bob', 'bob-pass-1', 'normal') or return;
	make_workflow($t, 'ev-alice', 'alice');
	make_workflow($t, 'ev-bob', 'bob');
	subtest tickets => sub { test_tickets($t, $alice, $bob, $admin) };
	subtest delivery => sub { test_delivery($t, $alice) };
	subtest workflow_updated => sub { test_workflow_updated($t, $alice) };
	subtest refusals => sub { test_refusals($t, $alice, $bob) };
});

done_testing();
