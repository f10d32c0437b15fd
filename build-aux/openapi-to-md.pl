#!/usr/bin/perl
# openapi-to-md.pl doc/openapi.json >doc/api.md: the readable API reference,
# made from the OpenAPI document so the two cannot disagree
# (t/e2e/48-openapi.t checks doc/api.md is what this prints).
use strict;
use warnings;
use JSON::PP;

my $file = shift // 'doc/openapi.json';
open my $fh, '<', $file or die "$file: $!\n";
my $doc = JSON::PP->new->decode(do { local $/; <$fh> });
close $fh;
my $schemas = $doc->{components}{schemas};
my @methods = qw(get post put patch delete);

sub type_text {
	my ($s) = @_;
	return 'any' unless ref $s eq 'HASH' && %$s;
	if (my $ref = $s->{'$ref'}) {
		(my $name = $ref) =~ s{.*/}{};
		return "[$name](#" . lc($name) . ")";
	}
	my @types = ref $s->{type} ? @{ $s->{type} } : defined $s->{type} ? ($s->{type}) : ('any');
	my @out;
	for my $t (@types) {
		if ($t eq 'array') {
			push @out, type_text($s->{items} // {}) . '[]';
		} elsif ($t eq 'object' && ref $s->{additionalProperties} eq 'HASH') {
			push @out, 'map of ' . type_text($s->{additionalProperties});
		} else {
			push @out, $t;
		}
	}
	my $text = join(' \\| ', @out);
	$text .= ' (one of ' . join(', ', map { $_ eq '' ? '""' : "`$_`" } @{ $s->{enum} }) . ')' if $s->{enum};
	return $text;
}

sub limits {
	my ($s) = @_;
	my @l;
	push @l, "at least $s->{minLength} characters" if defined $s->{minLength};
	push @l, "at most $s->{maxLength} characters" if defined $s->{maxLength};
	push @l, "from $s->{minimum}" if defined $s->{minimum};
	push @l, "to $s->{maximum}" if defined $s->{maximum};
	push @l, "matching `$s->{pattern}`" if defined $s->{pattern};
	push @l, $s->{description} if $s->{description};
	return join('; ', @l);
}

sub cell { my ($t) = @_; $t =~ s/\|/\\|/g; $t =~ s/\n/ /g; return $t }

my $out = '';
$out .= "# $doc->{info}{title} reference\n\n";
$out .= "Generated from [openapi.json](openapi.json) (OpenAPI $doc->{openapi}) by "
	. "`perl build-aux/openapi-to-md.pl doc/openapi.json >doc/api.md`; edit the document, not this "
	. "page. The server serves the document at `GET /api/v1/openapi.json`.\n\n";
$out .= "$doc->{info}{description}\n\n";

my %by_tag;
for my $path (sort keys %{ $doc->{paths} }) {
	for my $m (@methods) {
		my $op = $doc->{paths}{$path}{$m} or next;
		push @{ $by_tag{ $op->{tags}[0] // 'other' } }, [ $m, $path, $op ];
	}
}
$out .= "## Routes\n\n";
for my $tag (map { $_->{name} } @{ $doc->{tags} }) {
	my $ops = $by_tag{$tag} or next;
	$out .= "### $tag\n\n";
	for my $o (@$ops) {
		my ($m, $path, $op) = @$o;
		$out .= "#### `" . uc($m) . " $path`\n\n$op->{summary}.";
		$out .= ' No key needed.' if $op->{security} && !@{ $op->{security} };
		$out .= " $op->{description}" if $op->{description};
		$out .= "\n\n";
		for my $p (@{ $op->{parameters} // [] }) {
			$out .= "- $p->{in} `$p->{name}`: " . type_text($p->{schema})
				. ($p->{required} ? ', required' : '') . "\n";
		}
		if (my $body = $op->{requestBody}) {
			$out .= "- body: " . type_text($body->{content}{'application/json'}{schema}) . "\n";
		}
		for my $status (sort keys %{ $op->{responses} }) {
			my $r = $op->{responses}{$status};
			my $s = $r->{content}{'application/json'}{schema};
			$out .= "- $status: " . ($s ? type_text($s) . ' — ' : '') . "$r->{description}\n";
		}
		$out .= "\n";
	}
}
$out .= "## Schemas\n\n";
for my $name (sort keys %$schemas) {
	my $s = $schemas->{$name};
	$out .= "### $name\n\n";
	$out .= "$s->{description}\n\n" if $s->{description};
	if ($s->{properties}) {
		my %req = map { $_ => 1 } @{ $s->{required} // [] };
		$out .= "| field | type | required | notes |\n|---|---|---|---|\n";
		# Keys in the document's order: JSON::PP does not keep it, so sort
		# required keys first, then by name.
		for my $k (sort { ($req{$b} // 0) <=> ($req{$a} // 0) || $a cmp $b } keys %{ $s->{properties} }) {
			my $p = $s->{properties}{$k};
			$out .= "| `$k` | " . cell(type_text($p)) . ' | ' . ($req{$k} ? 'yes' : '') . ' | '
				. cell(limits($p)) . " |\n";
		}
		$out .= "\n";
	} else {
		$out .= 'Type: ' . type_text($s) . "\n\n";
	}
}
print $out;
