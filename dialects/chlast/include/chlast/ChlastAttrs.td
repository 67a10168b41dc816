//===- ChlastAttrs.td - chlast attributes ------------------*- tablegen -*-===//

#ifndef CHLAST_ATTRS_TD
#define CHLAST_ATTRS_TD

include "chlast/ChlastDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/TensorEncoding.td"

def Chlast_LayoutAttr : AttrDef<Chlast_Dialect, "Layout",
    [DeclareAttrInterfaceMethods<VerifiableTensorEncoding>]> {
  let mnemonic = "layout";
  let summary = "physical order of a tensor's logical dimensions";
  let description = [{
    `perm[i]` is the logical dimension stored at physical position `i`
    (outermost first). Named forms exist for the common cases:

    | name               | permutation        |
    |--------------------|--------------------|
    | `nhwc`, `fhwc`     | `[0, 2, 3, 1]`     |
    | `ndhwc`, `fdhwc`   | `[0, 2, 3, 4, 1]`  |
    | `nchw`, `ncdhw`    | identity (plain)   |

    Any permutation can be written as `#chlast.layout<[0, 3, 4, 1, 2]>`.

    A layout may also view the tensor with a finer shape first: with
    `view = [1, 8, 4, 16, 16]`, a `tensor<1x8x1024xf32>` is seen as
    `1x8x4x16x16` (each logical dimension the product of consecutive view
    dimensions) and `perm` orders the view's dimensions. This is how a
    group-norm reshape of an NHWC tensor keeps channels innermost:
    `#chlast.layout<[0, 3, 4, 1, 2], view = [1, 8, 4, 16, 16]>`.
    The printer uses the activation name (`nhwc`, `ndhwc`) when the
    permutation has one and the list form otherwise.

    Example: `tensor<1x8x4x4xf32, #chlast.layout<nhwc>>`.
  }];
  let parameters = (ins ArrayRefParameter<"int64_t", "physical order">:$perm,
                        OptionalArrayRefParameter<"int64_t", "view shape">:$view);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// True when the permutation is the identity.
    bool isIdentity() const;
    /// The name of this permutation (`nhwc`, `ndhwc`, ...) if it has one.
    ::llvm::StringRef getName() const;
    /// How `view` refines `shape`: for each logical dim, the end of its run
    /// of consecutive view dims (their product is the dim's size). Failure
    /// when `view` is not a refinement of `shape` (static shapes only).
    /// The one definition on the C++ side (the verifier and
    /// materialization use it); `chlastLayoutViewGroups` exposes it, and a
    /// Rust test checks `layout::view_groups` agrees on every small case.
    static ::mlir::FailureOr<::llvm::SmallVector<int64_t>>
    viewGroupEnds(::llvm::ArrayRef<int64_t> shape, ::llvm::ArrayRef<int64_t> view);
  }];
}

#endif // CHLAST_ATTRS_TD
