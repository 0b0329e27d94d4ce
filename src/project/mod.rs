//! The project model: `hoist.toml`, environments, resources, local state;
//! loading, validating and saving atomically.

pub mod detect;
mod edit;
mod fsutil;
mod init;
mod manifest;
mod names;
pub mod sources;
pub mod state;

pub use edit::{set_resource, to_table};
pub use fsutil::{FileSet, place_files, replace_dir, write_atomic};
pub use init::InitError;
pub use manifest::{
    CodegenConfig, EnvSection, FORMAT_VERSION, Framework, MANIFEST_FILE, Manifest, ManifestError,
    ProjectFile, ProjectSection, find_root, new_manifest_text, parse,
};
pub use names::{
    ENV_NAME_MAX, NameError, looks_like_production, project_name_from, validate_env_name,
    validate_new_region, validate_profile, validate_project_name, validate_region,
};
pub use sources::{SourceFile, Sources, read_schema, read_sources};
