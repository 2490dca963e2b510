include!("../commit.rs");

fn main() {
    emit_commit();
}
