package OpenAPISchema;

# OpenAPISchema: checks JSON values against the schemas of an OpenAPI 3.1
# document, the subset our document uses: type (a name or a list of names,
# "null" among them for nullable), required, properties,
# additionalProperties, items, enum and $ref to #/components/schemas/...
# Formats, patterns and bounds are not checked: the end-to-end tests ask
# whether an answer has the shape the document promises.
#
#   my $oa = OpenAPISchema->new($decoded_document);
#   my @errors = $oa->check_response('POST', '/api/v1/workflows/', 201, $json);
#   my @errors = $oa->check($value, { '$ref' => '#/components/schemas/NodeOut' });
#
# Each error is a string naming the place ("$.nodes[0].config.top_p").

use strict;
use warnings;

use B ();
use Scalar::Util qw(blessed looks_like_number);

sub new {
	my ($class, $doc) = @_;
	return bless { doc => $doc }, $class;
}

sub doc { $_[0]{doc} }

# The JSON type of a value decoded by JSON::PP: null, boolean, integer,
# number, string, array or object.
sub json_type {
	my ($v) = @_;
	return 'null' unless defined $v;
	return 'boolean' if blessed($v) && $v->isa('JSON::PP::Boolean');
	return 'array' if ref $v eq 'ARRAY';
	return 'object' if ref $v eq 'HASH';
	my $flags = B::svref_2object(\$v)->FLAGS;
	if ($flags & (B::SVp_IOK | B::SVp_NOK) && !($flags & B::SVp_POK)) {
		return $v == int($v) && $v !~ /[.eE]/ ? 'integer' : 'number';
	}
	return 'string';
}

sub _type_ok {
	my ($want, $got) = @_;
	return 1 if $want eq $got;
	return 1 if $want eq 'number' && $got eq 'integer';
	return 0;
}

sub resolve {
	my ($self, $schema) = @_;
	my $seen = 0;
	while (ref $schema eq 'HASH' && exists $schema->{'$ref'}) {
		my $ref = $schema->{'$ref'};
		die "unsupported \$ref $ref\n" unless $ref =~ m{^#/components/schemas/(.+)$};
		$schema = $self->{doc}{components}{schemas}{$1} // die "dangling \$ref $ref\n";
		die "a \$ref loop at $ref\n" if ++$seen > 50;
	}
	return $schema;
}

# The problems of value against schema (empty when it fits).
sub check {
	my ($self, $value, $schema, $where) = @_;
	$where //= '$';
	$schema = $self->resolve($schema);
	return () if !ref $schema || !%$schema;
	my @errors;
	my $got = json_type($value);
	if (exists $schema->{type}) {
		my @want = ref $schema->{type} ? @{ $schema->{type} } : ($schema->{type});
		return ("$where: a $got, the document says " . join(' or ', @want))
			unless grep { _type_ok($_, $got) } @want;
	}
	if ($schema->{enum}) {
		my $enc = JSON::PP->new->canonical->allow_nonref;
		my $text = $enc->encode($value);
		push @errors, "$where: $text is none of the document's values"
			unless grep { $enc->encode($_) eq $text } @{ $schema->{enum} };
	}
	if ($got eq 'object') {
		for my $key (@{ $schema->{required} // [] }) {
			push @errors, "$where: no \"$key\", which the document requires" unless exists $value->{$key};
		}
		my $props = $schema->{properties} // {};
		for my $key (sort keys %$value) {
			if (exists $props->{$key}) {
				push @errors, $self->check($value->{$key}, $props->{$key}, "$where.$key");
			} elsif (ref $schema->{additionalProperties} eq 'HASH') {
				push @errors, $self->check($value->{$key}, $schema->{additionalProperties}, "$where.$key");
			} elsif (exists $schema->{additionalProperties} && !$schema->{additionalProperties}) {
				push @errors, "$where: \"$key\" is not in the document";
			}
		}
	}
	if ($got eq 'array' && $schema->{items}) {
		for my $i (0 .. $#$value) {
			push @errors, $self->check($value->[$i], $schema->{items}, "$where\[$i\]");
		}
	}
	return @errors;
}

# The problems of an answer to method path_template with status and body
# (the decoded JSON, or undef for an empty body) against the document.
sub check_response {
	my ($self, $method, $path, $status, $body) = @_;
	my $op = $self->{doc}{paths}{$path}{ lc $method }
		or return ("$method $path is not in the document");
	my $resp = $op->{responses}{$status}
		or return ("$method $path: status $status is not in the document");
	my $schema = $resp->{content}{'application/json'}{schema};
	if (!$schema) {
		return defined $body ? ("$method $path $status: a body where the document has none") : ();
	}
	return ("$method $path $status: no JSON body") unless defined $body || json_type($body) eq 'null';
	return $self->check($body, $schema, "$method $path $status \$");
}

1;
