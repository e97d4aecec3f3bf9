//! Certificates made per run with the openssl CLI: a private CA, and a server certificate for
//! `localhost` and `127.0.0.1` signed by it, valid now or long expired.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Which server certificate to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertKind {
    /// Valid from now for two days.
    Valid,
    /// Valid only during 2020: expired, otherwise correct (same CA, names and extensions).
    Expired,
}

impl CertKind {
    /// The kind named `valid` or `expired`.
    pub fn parse(name: &str) -> Option<CertKind> {
        match name {
            "valid" => Some(CertKind::Valid),
            "expired" => Some(CertKind::Expired),
            _ => None,
        }
    }
}

/// Files written by [`generate`], all PEM.
#[derive(Debug, Clone)]
pub struct Certs {
    /// The CA certificate (what a client puts in `ca_file` to trust the server).
    pub ca: PathBuf,
    /// The server certificate.
    pub cert: PathBuf,
    /// The server's private key.
    pub key: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run openssl (install it: scripts/lib/ensure-apt openssl): {e}")
        });
    assert!(
        out.status.success(),
        "openssl {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `openssl ca` settings: explicit dates need it (`x509 -req` only counts days from now).
const CA_CONFIG: &str = "\
[ca]
default_ca = local
[local]
database = db/index.txt
new_certs_dir = db
serial = db/serial
default_md = sha256
policy = any
copy_extensions = none
unique_subject = no
[any]
commonName = supplied
[server]
subjectAltName = DNS:localhost,IP:127.0.0.1
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
";

/// Makes a fresh CA (its own key, so each call's CA is distinct) and a server certificate of
/// `kind` signed by it, in `dir`.
pub fn generate(dir: &Path, kind: CertKind) -> Certs {
    std::fs::create_dir_all(dir.join("db")).unwrap();
    std::fs::write(dir.join("db/index.txt"), "").unwrap();
    std::fs::write(dir.join("ca.cnf"), CA_CONFIG).unwrap();
    let serial: u64 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    std::fs::write(dir.join("db/serial"), format!("{serial:016x}\n")).unwrap();
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    // A distinct name per CA: a client trusting another run's CA must not find this one's
    // issuer by name (it would report a bad signature instead of an unknown issuer).
    let ca_subject = format!("/CN=pushcast test CA {serial:016x}");
    let mut ca_args = vec!["req", "-x509"];
    ca_args.extend(ec);
    ca_args.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "3",
        "-subj",
        &ca_subject,
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    openssl(dir, &ca_args);
    let mut csr_args = vec!["req"];
    csr_args.extend(ec);
    csr_args.extend([
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost",
    ]);
    openssl(dir, &csr_args);
    let mut sign = vec![
        "ca",
        "-batch",
        "-notext",
        "-config",
        "ca.cnf",
        "-extensions",
        "server",
        "-cert",
        "ca.pem",
        "-keyfile",
        "ca.key",
        "-in",
        "server.csr",
        "-out",
        "server.pem",
    ];
    match kind {
        CertKind::Valid => sign.extend(["-days", "2"]),
        CertKind::Expired => sign.extend([
            "-startdate",
            "20200101000000Z",
            "-enddate",
            "20210101000000Z",
        ]),
    }
    openssl(dir, &sign);
    Certs {
        ca: dir.join("ca.pem"),
        cert: dir.join("server.pem"),
        key: dir.join("server.key"),
    }
}
