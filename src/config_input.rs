//! Reading configuration files for `compare` and `check`: the parsers are
//! I/O-free, so includes and `ipsec.secrets` are read here.

use std::io::Read;
use std::path::{Path, PathBuf};

use ipsec_doctor_config::{
    detect_format, glob_match, ipsec_conf, parse, ConfigSet, Format, Includes, MAX_INPUT_BYTES,
};

/// A configuration file read and parsed.
pub struct LoadedConfig {
    pub path: String,
    pub text: String,
    pub config: ConfigSet,
}

/// Reads and parses one configuration file; the error names the file (and
/// line, where the parser knows it).
pub fn load(path: &str) -> Result<LoadedConfig, String> {
    let text = read_capped(Path::new(path)).map_err(|e| format!("{path}: {e}"))?;
    let includes = DiskIncludes;
    let config = if detect_format(&text) == Some(Format::IpsecConf) {
        let secrets_path = Path::new(path).with_file_name("ipsec.secrets");
        let secrets = read_capped(&secrets_path).ok();
        let secrets_display = secrets_path.display().to_string();
        ipsec_conf::parse_ipsec_conf_with_secrets(
            path,
            &text,
            secrets.as_deref().map(|s| (secrets_display.as_str(), s)),
            &includes,
        )
    } else {
        parse(path, &text, &includes)
    }
    .map_err(|e| e.to_string())?;
    Ok(LoadedConfig {
        path: path.to_owned(),
        text,
        config,
    })
}

fn read_capped(path: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| describe(&e))?;
    if meta.len() > MAX_INPUT_BYTES as u64 {
        return Err(format!(
            "too large ({} bytes; at most {MAX_INPUT_BYTES})",
            meta.len()
        ));
    }
    // The size above is 0 for a pipe or a device (`check /dev/zero`,
    // `check <(cmd)`): read at most one byte past the limit, whatever it is.
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_INPUT_BYTES as u64 + 1).read_to_end(&mut bytes))
        .map_err(|e| describe(&e))?;
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(format!("too large (more than {MAX_INPUT_BYTES} bytes)"));
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn describe(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => e.to_string(),
    }
}

/// Resolves `include` statements on disk, with `*`/`?` globs in the last
/// path component, sorted by name as strongSwan reads them.
struct DiskIncludes;

impl Includes for DiskIncludes {
    fn resolve(&self, pattern: &str) -> Vec<(String, String)> {
        let path = Path::new(pattern);
        if !pattern.contains(['*', '?']) {
            return read_capped(path)
                .map(|c| vec![(pattern.to_owned(), c)])
                .unwrap_or_default();
        }
        let dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Vec::new();
        };
        let mut matches: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && glob_match(pattern, &p.display().to_string()))
            .collect();
        matches.sort();
        matches
            .into_iter()
            .filter_map(|p| read_capped(&p).ok().map(|c| (p.display().to_string(), c)))
            .collect()
    }
}
