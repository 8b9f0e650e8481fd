# Certificate helpers for lab/scenarios/*/setup, sourced with the scenario's
# work dir as $W.  Everything made here is lab-only test material: generated
# at run time into the temp dir, never committed, gone when lab/run exits.
#
#   ca NAME DN [pki --self options]          self-signed CA    -> $W/pki/NAME.{key,crt}
#   issue NAME ISSUER DN [pki --issue options] cert by ISSUER  -> $W/pki/NAME.{key,crt}
#   put HOST DIR NAME [FILE]                 copy NAME.crt (DIR x509, x509ca) or
#                                            NAME.key (DIR private) to $W/HOST/DIR/FILE
#   standard_pki                             "Lab Root CA", left.lab.example, right.lab.example
#
# KEYSIZE (default 2048) is the RSA key size of keys made by ca and issue.
# pki prints plugin noise on stderr (TPM); lab/run keeps it in setup.out.

: "${W:?W must be the scenario work dir}"
mkdir -p "$W/pki"

_key() {
    pki --gen --type rsa --size "${KEYSIZE:-2048}" --outform pem >"$W/pki/$1.key"
}

ca() {
    local name=$1 dn=$2
    shift 2
    _key "$name"
    pki --self --ca --lifetime 3650 --in "$W/pki/$name.key" --dn "$dn" \
        --outform pem "$@" >"$W/pki/$name.crt"
}

issue() {
    local name=$1 issuer=$2 dn=$3
    shift 3
    _key "$name"
    pki --pub --in "$W/pki/$name.key" >"$W/pki/$name.pub"
    pki --issue --cacert "$W/pki/$issuer.crt" --cakey "$W/pki/$issuer.key" \
        --in "$W/pki/$name.pub" --type pub --dn "$dn" --outform pem "$@" \
        >"$W/pki/$name.crt"
}

put() {
    local host=$1 dir=$2 name=$3 file=${4:-$3.pem} ext=crt
    [ "$dir" = private ] && ext=key
    mkdir -p "$W/$host/$dir"
    cp "$W/pki/$name.$ext" "$W/$host/$dir/$file"
}

LAB_DN="C=CH, O=ipsec-doctor lab"

# A CA both ends trust, and one certificate per end with its FQDN as
# subjectAltName (the identity each end uses).
standard_pki() {
    ca labca "$LAB_DN, CN=Lab Root CA"
    issue left labca "$LAB_DN, CN=left.lab.example" --san left.lab.example
    issue right labca "$LAB_DN, CN=right.lab.example" --san right.lab.example
    local h
    for h in left right; do
        put "$h" x509ca labca
        put "$h" x509 "$h"
        put "$h" private "$h"
    done
}
