# The first executions of a workflow, started together: each trigger of a
# revision that has never run writes the revision's snapshot, so several
# at once race to write the same one.  Every one of them must be started
# (200) and complete; none may fail on the snapshot's key.  Three fresh
# workflows, twelve chats each, released at the same moment.  Both backends.
use strict;
use warnings;
use Test::More;
use HTTP::Tiny;
use JSON::PP;
use Time::HiRes qw(sleep time);
use PipelitTest;
use PipelitAuth;
use PipelitEngine;

need_nginx();

my $AT_ONCE = 12;

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $t = PipelitTest->started(db_url => $db_url) or return;
	my $tok = make_user($t, 'alice', 'alice-pass-1', 'normal') or return;
	for my $round (1 .. 3) {
		my $slug = "first-$round";
		build_workflow($t, $tok, $slug, [
			{ node_id => 'chat', component_type => 'trigger_chat' },
			{ node_id => 'reply', component_type => 'reply_chat', config => { extra_config => { message => 'ok' } } }],
			[['chat', 'reply']]) or return;
		# Forked first, the children then wait for the same moment.
		my $at = time + 1;
		my $url = $t->url("/api/v1/workflows/$slug/chat/");
		my @rc = PipelitTest::run_in_children($AT_ONCE, sub {
			my $http = HTTP::Tiny->new(timeout => 60);
			sleep($at - time) if $at > time;
			my $r = $http->post($url, { content => encode_json({ text => "hi $_[0]" }),
				headers => { 'Content-Type' => 'application/json', Authorization => "Bearer $tok" } });
			print STDERR "chat $_[0]: $r->{status} $r->{content}\n" unless $r->{status} == 200;
			return $r->{status} == 200 ? 0 : 1;
		}, 120);
		is(scalar(grep { $_ == 0 } @rc), $AT_ONCE, "$backend: $AT_ONCE first chats of $slug at once are all started")
			or diag($t->log_tail);
		my $done = 0;
		wait_until(60, sub {
			$done = $t->db_query("SELECT count(*) FROM workflow_executions e JOIN workflows w ON w.id = e.workflow_id "
				. "WHERE w.slug = '$slug' AND e.status = 'completed'") // 0;
			$done == $AT_ONCE });
		is($done, $AT_ONCE, "$backend: and every one completes");
		is($t->db_query("SELECT count(*) FROM workflow_snapshots s JOIN workflows w ON w.id = s.workflow_id "
			. "WHERE w.slug = '$slug'"), 1, "$backend: one snapshot of the revision");
	}
});

done_testing();
