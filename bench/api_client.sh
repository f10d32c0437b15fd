# bench/api_client.sh: what the API benchmarks (auth.sh, workflows.sh) share
# on top of run.sh: extra wrk arguments, a JSON POST from the shell, and a
# bench user with a named API key.  Sourced after run.sh; sets nothing else.

BENCH_USER=bench
BENCH_PASSWORD=bench-password-1

# Extra wrk arguments (a header, a Lua script) for the next run_wrk.
WRK_EXTRA=()
wrk() { command wrk ${WRK_EXTRA[@]+"${WRK_EXTRA[@]}"} "$@"; }

# post_key URL JSON [TOKEN]: prints the field "key" of the JSON answer.
post_key() {
	perl -MHTTP::Tiny -MJSON::PP -e '
		my ($url, $body, $token) = @ARGV;
		my %h = ("Content-Type" => "application/json");
		$h{Authorization} = "Bearer $token" if $token;
		my $r = HTTP::Tiny->new->post($url, { headers => \%h, content => $body });
		die "$url: $r->{status} $r->{content}\n" unless $r->{status} =~ /^20/;
		print decode_json($r->{content})->{key}, "\n";
	' "$@"
}

# A user made the operator's way, and a named API key of theirs (not the
# session key, which a benchmarked login rotates): sets API_KEY.
make_api_key() {
	local base=$1 session
	pool_env "$WORK/pool" "$PIPELIT_BIN" user create --username "$BENCH_USER" \
		--password "$BENCH_PASSWORD" --role normal >"$WORK/user.log" 2>&1 ||
		die "pipelit user create failed: $(cat "$WORK/user.log")"
	session=$(post_key "$base/api/v1/auth/token/" \
		"{\"username\":\"$BENCH_USER\",\"password\":\"$BENCH_PASSWORD\"}") || die "login failed"
	API_KEY=$(post_key "$base/api/v1/users/me/keys" '{"name":"bench"}' "$session") ||
		die "creating an API key failed"
}
