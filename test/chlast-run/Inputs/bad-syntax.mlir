// An undefined value on line 3.
func.func @f() -> f32 {
  return %undefined : f32
}
