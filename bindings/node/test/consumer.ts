// Type-checks the committed index.d.ts from a consumer's point of view (tsc --noEmit).
import * as kokyaku from '..'

const v: string = kokyaku.version()
const codes: string[] = kokyaku._errorCodes()
void v
void codes
