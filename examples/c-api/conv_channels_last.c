/* chlast from C: parse an MLIR file, run `conv-channels-last` through the
 * C API, print the result.
 *
 *   conv_channels_last FILE.mlir [OPTIONS]
 *
 * OPTIONS are the pass's options in MLIR's textual form, e.g.
 * "max-ops-per-conv=300 stats=stats.json" (the statistics, as JSON, go to
 * the `stats` file; "-" for stderr). Exit status 0 on success; 1 with a
 * message for a file that does not parse, bad options or a failed pass.
 *
 * Build (tests/integration/c_api.rs does this): link with libchlast_capi.a
 * (make capi), which holds chlast, its Rust pass body and MLIR:
 *   cc conv_channels_last.c -Idialects/chlast/include -I/usr/lib/llvm-22/include \
 *      target/debug/libchlast_capi.a $(cat target/debug/chlast_capi.link) */
#include "chlast-c/Chlast.h"
#include "mlir-c/Diagnostics.h"
#include "mlir-c/IR.h"
#include "mlir-c/Pass.h"
#include "mlir-c/RegisterEverything.h"

#include <stdio.h>
#include <string.h>

static void print_to(MlirStringRef text, void *stream) {
  fwrite(text.data, 1, text.length, (FILE *)stream);
}

/* Diagnostics as `file:line:col: error: message` on stderr. */
static MlirLogicalResult print_diagnostic(MlirDiagnostic diagnostic,
                                          void *unused) {
  (void)unused;
  MlirLocation loc = mlirDiagnosticGetLocation(diagnostic);
  if (mlirLocationIsAFileLineColRange(loc)) {
    MlirStringRef file = mlirIdentifierStr(
        mlirLocationFileLineColRangeGetFilename(loc));
    fprintf(stderr, "%.*s:%d:%d: ", (int)file.length, file.data,
            mlirLocationFileLineColRangeGetStartLine(loc),
            mlirLocationFileLineColRangeGetStartColumn(loc));
  }
  switch (mlirDiagnosticGetSeverity(diagnostic)) {
  case MlirDiagnosticError: fputs("error: ", stderr); break;
  case MlirDiagnosticWarning: fputs("warning: ", stderr); break;
  case MlirDiagnosticNote: fputs("note: ", stderr); break;
  case MlirDiagnosticRemark: fputs("remark: ", stderr); break;
  }
  mlirDiagnosticPrint(diagnostic, print_to, stderr);
  fputc('\n', stderr);
  return mlirLogicalResultSuccess();
}

/* MLIR's option parser prints its own message; this adds the options. */
static void report_option_error(MlirStringRef text, void *options) {
  fprintf(stderr, "conv_channels_last: bad options '%s'%s%.*s\n",
          (const char *)options, text.length ? ": " : "", (int)text.length,
          text.data);
}

int main(int argc, char **argv) {
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: %s FILE.mlir [OPTIONS]\n", argv[0]);
    return 2;
  }
  chlastInitialize();

  MlirContext context = mlirContextCreate();
  MlirDialectRegistry registry = mlirDialectRegistryCreate();
  mlirRegisterAllDialects(registry);
  mlirDialectHandleInsertDialect(mlirGetDialectHandle__chlast__(), registry);
  mlirContextAppendDialectRegistry(context, registry);
  mlirDialectRegistryDestroy(registry);

  mlirContextAttachDiagnosticHandler(context, print_diagnostic, NULL, NULL);

  int status = 1;
  MlirModule module = mlirModuleCreateParseFromFile(
      context, mlirStringRefCreateFromCString(argv[1]));
  if (mlirModuleIsNull(module)) {
    fprintf(stderr, "conv_channels_last: cannot parse %s\n", argv[1]);
    goto done;
  }

  const char *options = argc == 3 ? argv[2] : "";
  MlirPass pass = chlastCreateConvChannelsLastPass(
      mlirStringRefCreateFromCString(options), report_option_error,
      (void *)options);
  if (!pass.ptr) {
    mlirModuleDestroy(module);
    goto done;
  }
  MlirPassManager manager = mlirPassManagerCreate(context);
  mlirPassManagerAddOwnedPass(manager, pass);
  MlirOperation op = mlirModuleGetOperation(module);
  if (mlirLogicalResultIsFailure(mlirPassManagerRunOnOp(manager, op))) {
    fprintf(stderr, "conv_channels_last: the pass failed on %s\n", argv[1]);
  } else {
    mlirOperationPrint(op, print_to, stdout);
    fputc('\n', stdout);
    status = 0;
  }
  mlirPassManagerDestroy(manager);
  mlirModuleDestroy(module);
done:
  mlirContextDestroy(context);
  return status;
}
