# The message gateway: POST /api/v1/inbound starts an execution of a
# trigger_telegram or trigger_chat workflow, and its reply reaches the
# gateway's send endpoint (a local double) with the send token; attachments
# become lines of the text; the inbound token is required; a human
# confirmation's prompt reaches the chat, and /confirm_<id>, /cancel_<id>
# answer it (unknown and expired tasks too); a message whose gateway is
# down waits in the outbox, survives the executor's SIGKILL and is
# delivered once the gateway is back.  Both backends.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use PipelitTest;
use PipelitAuth;
use PipelitEngine;
use FakeGateway;
use Time::HiRes qw(sleep time);

need_nginx();

my $IN_TOKEN = 'inbound-secret-0123456789';
my $SEND_TOKEN = 'send-secret-9876543210';

sub inbound {
	my ($t, $body, %o) = @_;
	my %h = ('Content-Type' => 'application/json');
	$h{Authorization} = "Bearer " . ($o{token} // $IN_TOKEN) unless exists $o{token} && !defined $o{token};
	$h{'Idempotency-Key'} = $o{key} if $o{key};
	my $res = $t->request('POST', '/api/v1/inbound',
		{ headers => \%h, content => ref $body ? encode_json($body) : $body });
	return ($res, eval { decode_json($res->{content}) });
}

sub message {
	my ($slug, $text, %o) = @_;
	return { route => { workflow_slug => $slug, trigger_node_id => $o{trigger} // 'tg' },
		credential_id => 'tg-bot', source => { protocol => 'telegram', chat_id => $o{chat} // '4242',
		message_id => '7', from => { id => $o{from} // '1001', username => 'ann', display_name => 'Ann' } },
		text => $text, attachments => $o{attachments} // [], timestamp => '2026-12-04T17:00:00Z' };
}

# Waits until the double received a send whose text matches $re; that request.
sub wait_sent {
	my ($gw, $re, $timeout) = @_;
	my $deadline = time + ($timeout // 30);
	while (time < $deadline) {
		my ($r) = grep { $_->{json} && ($_->{json}{text} // '') =~ $re } $gw->requests;
		return $r if $r;
		sleep 0.05;
	}
	return undef;
}

sub test_reply {
	my ($t, $tok, $gw) = @_;
	build_workflow($t, $tok, 'tg', [{ node_id => 'tg', component_type => 'trigger_telegram' },
		{ node_id => 'r', component_type => 'reply_chat', config => { extra_config => { message => 'You said: {{ trigger.text }}' } } }],
		[['tg', 'r']]) or return;

	my ($res, $j) = inbound($t, message('tg', 'hello'), token => 'wrong-token');
	is($res->{status}, 401, 'a wrong inbound token is a 401');
	is($j->{detail}, 'Invalid gateway token', 'with its detail');
	($res) = inbound($t, message('tg', 'hello'), token => undef);
	is($res->{status}, 401, 'no token is a 401');

	($res, $j) = inbound($t, message('tg', 'hello'));
	is($res->{status}, 202, 'a message is accepted with 202') or diag($res->{content});
	is($j->{status}, 'pending', 'status pending');
	my $id = $j->{execution_id} or return;
	my $row = wait_execution($t, $id);
	is($row->{status}, 'completed', 'its execution completes') or diag($t->log_tail);
	my $sent = wait_sent($gw, qr/^You said: hello$/);
	ok($sent, 'the reply reaches the gateway') or diag($t->log_tail);
	is($sent->{path}, '/api/v1/send', 'at /api/v1/send');
	is($sent->{headers}{authorization}, "Bearer $SEND_TOKEN", 'with the send token');
	is_deeply($sent->{json}, { credential_id => 'tg-bot', chat_id => '4242', text => 'You said: hello', file_ids => [] },
		'body: credential_id, chat_id, text, file_ids');
	my $payload = decode_json($t->db_query("SELECT trigger_payload FROM workflow_executions WHERE execution_id = '$id'"));
	my $profile = $t->db_query("SELECT id FROM user_profiles WHERE external_user_id = '1001'");
	is($payload->{user_id}, $profile, "the payload's user_id is the sender's own profile");
	is($t->db_query("SELECT count(*) FROM gateway_outbox"), '0', 'the outbox is empty once delivered');

	($res, $j) = inbound($t, message('tg', 'see these', chat => '77', attachments => [
		{ filename => 'a.pdf', mime_type => 'application/pdf', size_bytes => 10, download_url => 'http://files/a' },
		{ filename => 'b.png', mime_type => 'image/png' }]));
	is($res->{status}, 202, 'a message with attachments is accepted') or diag($res->{content});
	$sent = wait_sent($gw, qr/^You said: see these/);
	is($sent && $sent->{json}{text}, "You said: see these\n[Attached file: a.pdf | url: http://files/a | type: application/pdf]"
		. "\n[Attached file: b.png | url:  | type: image/png]", 'each attachment is a line of the text');
	is($sent && $sent->{json}{chat_id}, '77', 'the reply goes to the chat the message came from');

	my ($a) = inbound($t, message('tg', 'once'), key => 'msg-77-1');
	my ($b, $jb) = inbound($t, message('tg', 'once'), key => 'msg-77-1');
	is($b->{status}, 202, 'a repeated Idempotency-Key answers as the first time');
	is($jb->{execution_id}, decode_json($a->{content})->{execution_id}, 'with the same execution');
	is($b->{headers}{'idempotent-replayed'}, 'true', 'marked as a replay');

	($res, $j) = inbound($t, message('nosuch', 'x'));
	is($res->{status}, 404, 'an unknown workflow is a 404');
	is($j->{detail}, 'Workflow not found', 'with its detail');
	($res, $j) = inbound($t, message('tg', 'x', trigger => 'nope'));
	is($res->{status}, 404, 'an unknown trigger node is a 404');
	is($j->{detail}, 'Trigger node not found', 'with its detail');
	my $m = message('tg', 'x');
	delete $m->{route}{trigger_node_id};
	($res, $j) = inbound($t, $m);
	is($res->{status}, 422, 'a route without trigger_node_id is a 422');
	is($j->{detail}, 'route must contain workflow_slug and trigger_node_id', 'with its detail');
	$m = message('tg', 'x');
	delete $m->{source}{chat_id};
	($res, $j) = inbound($t, $m);
	is($res->{status}, 422, 'a source without chat_id is a 422');
	is_deeply($j->{detail}[0]{loc}, ['body', 'source', 'chat_id'], 'naming the field');
	($res) = inbound($t, '{not json');
	is($res->{status}, 422, 'a body that is not JSON is a 422');
}

# The task id from a prompt the double received after $since requests.
sub prompt_task {
	my ($gw) = @_;
	my $sent = wait_sent($gw, qr/^Action requires confirmation/) or return undef;
	my ($id) = $sent->{json}{text} =~ m{/confirm_(\w+)};
	return $id;
}

sub test_confirmation {
	my ($t, $tok, $gw) = @_;
	build_workflow($t, $tok, 'ship', [{ node_id => 'tg', component_type => 'trigger_chat' },
		{ node_id => 'ask', component_type => 'human_confirmation', config => { extra_config => { prompt => 'Ship it?' } } },
		{ node_id => 'done', component_type => 'reply_chat', config => { extra_config => { message => 'shipped {{ trigger.text }}' } } }],
		[['tg', 'ask'], ['ask', 'done']]) or return;

	my ($res, $j) = inbound($t, message('ship', 'v1', chat => 'c-confirm'));
	is($res->{status}, 202, 'a trigger_chat workflow starts through the gateway') or diag($res->{content});
	my $id = $j->{execution_id} or return;
	my $row = wait_execution($t, $id);
	is($row->{status}, 'interrupted', 'it waits for the confirmation');
	my $task = $t->db_query("SELECT task_id FROM pending_tasks WHERE execution_id = '$id'");
	my $sent = wait_sent($gw, qr{/confirm_\Q$task\E});
	is($sent && $sent->{json}{text}, "Action requires confirmation.\n\nTo confirm: /confirm_$task\nTo cancel: /cancel_$task",
		'the confirmation prompt reaches the chat') or diag($t->log_tail);
	is($sent && $sent->{json}{chat_id}, 'c-confirm', 'in the chat the message came from');

	($res, $j) = inbound($t, message('ship', "  /confirm_$task \n", chat => 'c-confirm'));
	is($res->{status}, 200, 'a /confirm_ command answers 200') or diag($res->{content});
	is_deeply($j, { status => 'confirmed', task_id => $task }, '{status: confirmed, task_id}');
	$row = wait_execution($t, $id, 30, qr/^(completed|failed|cancelled)$/);
	is($row->{status}, 'completed', 'the execution resumes and completes') or diag($t->log_tail);
	ok(wait_sent($gw, qr/^Action confirmed\. Resuming execution\.\.\.$/), 'the confirmation is acknowledged in the chat');
	ok(wait_sent($gw, qr/^shipped v1$/), 'and the reply follows');

	($res, $j) = inbound($t, message('ship', 'v2', chat => 'c-cancel'));
	$id = $j->{execution_id} or return;
	wait_execution($t, $id);
	$task = $t->db_query("SELECT task_id FROM pending_tasks WHERE execution_id = '$id'");
	ok(wait_sent($gw, qr{/cancel_\Q$task\E}), 'a second prompt arrives');
	($res, $j) = inbound($t, message('ship', "/cancel_$task", chat => 'c-cancel'));
	is_deeply($j, { status => 'cancelled', task_id => $task }, 'a /cancel_ command answers cancelled');
	is(execution_row($t, $id)->{status}, 'cancelled', 'and the execution is cancelled');
	ok(wait_sent($gw, qr/^Action cancelled\.$/), 'the cancel is acknowledged in the chat');

	($res, $j) = inbound($t, message('ship', '/confirm_deadbeef'));
	is($res->{status}, 200, 'an unknown task answers 200');
	is_deeply($j, { status => 'not_found', task_id => 'deadbeef' }, 'with status not_found');
	is($t->db_query("SELECT count(*) FROM workflow_executions e JOIN workflows w ON w.id = e.workflow_id "
		. "WHERE w.slug = 'ship'"), '2', 'and starts nothing');

	($res, $j) = inbound($t, message('ship', 'v3', chat => 'c-expired'));
	$id = $j->{execution_id} or return;
	wait_execution($t, $id);
	$task = $t->db_query("SELECT task_id FROM pending_tasks WHERE execution_id = '$id'");
	$t->db_query("UPDATE pending_tasks SET expires_at = '2001-01-01 00:00:00.000000' WHERE task_id = '$task'");
	($res, $j) = inbound($t, message('ship', "/confirm_$task", chat => 'c-expired'));
	is_deeply($j, { status => 'expired', task_id => $task }, 'an expired task answers expired');
	is(execution_row($t, $id)->{status}, 'interrupted', 'the execution stays interrupted');
	is($t->db_query("SELECT count(*) FROM pending_tasks WHERE task_id = '$task'"), '0', 'the task is gone');
	my $ack = wait_sent($gw, qr/^This confirmation has expired\.$/);
	is($ack && $ack->{json}{chat_id}, 'c-expired', 'the chat is told it expired');
	($res, $j) = inbound($t, message('ship', "/cancel_$task", chat => 'c-expired'));
	is_deeply($j, { status => 'not_found', task_id => $task }, 'the expired task is not found afterwards');
}

sub test_gateway_down {
	my ($t, $tok, $gw) = @_;
	$gw->stop;
	my ($res, $j) = inbound($t, message('tg', 'while down', chat => 'c-down'));
	is($res->{status}, 202, 'a message is accepted while the gateway is down');
	my $id = $j->{execution_id} or return;
	is(wait_execution($t, $id)->{status}, 'completed', 'its execution completes');
	my $tried = wait_until(30, sub { ($t->db_query("SELECT max(attempts) FROM gateway_outbox") || 0) >= 2 });
	ok($tried, 'the reply waits in the outbox and is tried again') or diag($t->log_tail);
	my @before = $t->executor_pids;
	kill 'KILL', @before;
	ok(wait_until(30, sub { my @now = $t->executor_pids; @now && !grep { my $p = $_; grep { $_ == $p } @before } @now }),
		'a SIGKILLed executor is replaced');
	is($t->db_query("SELECT count(*) FROM gateway_outbox WHERE text = 'You said: while down'"), '1',
		'the message survives the executor');
	$gw->restart;
	my $sent = wait_sent($gw, qr/^You said: while down$/, 60);
	ok($sent, 'and is delivered once the gateway is back') or diag($t->log_tail);
	is($sent && $sent->{json}{chat_id}, 'c-down', 'to its chat');
	ok(wait_until(30, sub { ($t->db_query("SELECT count(*) FROM gateway_outbox") // "") eq "0" }),
		'the outbox is empty again');
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $gw = FakeGateway->start;
	my $t = PipelitTest->started(db_url => $db_url, env => {
		GATEWAY_URL => $gw->url, GATEWAY_SEND_TOKEN => $SEND_TOKEN, GATEWAY_INBOUND_TOKEN => $IN_TOKEN,
		PIPELIT_OUTBOUND_ALLOW => '127.0.0.1', GATEWAY_RETRY_MAX_SECONDS => 1 }) or return;
	my $alice = make_user($t, 'alice', 'alice-pass-1', 'normal') or return;
	subtest reply => sub { test_reply($t, $alice, $gw) };
	subtest confirmation => sub { test_confirmation($t, $alice, $gw) };
	subtest gateway_down => sub { test_gateway_down($t, $alice, $gw) };
	unlike($t->log_text, qr/\Q$SEND_TOKEN\E|\Q$IN_TOKEN\E/, 'no token in the log');
	$gw->stop;
});

subtest 'no inbound token configured' => sub {
	my $t = PipelitTest->started(nginx => 1) or return;
	my ($res, $j) = inbound($t, message('tg', 'x'));
	is($res->{status}, 503, 'without GATEWAY_INBOUND_TOKEN the route answers 503');
	is($j->{detail}, 'Gateway token not configured', 'saying why');
	ok($res->{headers}{'retry-after'}, 'with Retry-After');
	$t->stop;
};

done_testing();
