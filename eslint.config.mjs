// The linter: ESLint's and typescript-eslint's recommended rules, and the type-aware rules that
// catch the bugs an async provider is prone to (a promise nobody awaits, a promise passed where a
// callback's result is ignored). Formatting is Prettier's job (.prettierrc.json), not the linter's.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
    {
        ignores: [
            "**/node_modules/**",
            "dist/**",
            ".pulumi-cli/**",
            ".test-work/**",
            ".demo-state/**",
            "bench-results/**",
            "scratch/**",
            "tools/**",
            "test/emulator/fixtures/**",
        ],
    },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        files: ["**/*.ts"],
        languageOptions: {
            parserOptions: {
                project: ["./tsconfig.check.json", "./examples/*/tsconfig.json", "./test/projects/*/tsconfig.json"],
                tsconfigRootDir: import.meta.dirname,
            },
        },
        rules: {
            "@typescript-eslint/no-unused-vars": [
                "error",
                { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_", ignoreRestSiblings: true },
            ],
            "@typescript-eslint/no-floating-promises": "error",
            // A program's closure reads the `let` before the test assigns it its next value.
            "prefer-const": ["error", { ignoreReadBeforeAssign: true }],
            "@typescript-eslint/no-misused-promises": "error",
            "@typescript-eslint/await-thenable": "error",
        },
    },
    {
        // A resource class and the interface of its outputs share a name on purpose: the outputs'
        // types follow from the spec (OutputsOf<...>), and a class cannot extend a mapped type.
        files: ["provider/resources/*/resource.ts"],
        rules: {
            "@typescript-eslint/no-unsafe-declaration-merging": "off",
            "@typescript-eslint/no-empty-object-type": ["error", { allowInterfaces: "with-single-extends" }],
        },
    },
    {
        // Tests load modules twice on purpose (a second copy of a module, a fresh require cache),
        // and read untyped wire data (gRPC messages, the engine's JSON).
        files: ["test/**/*.ts"],
        rules: { "@typescript-eslint/no-require-imports": "off", "@typescript-eslint/no-explicit-any": "off" },
    },
    {
        files: ["**/*.js", "**/*.cjs"],
        languageOptions: {
            sourceType: "commonjs",
            globals: {
                require: "readonly",
                module: "writable",
                process: "readonly",
                __dirname: "readonly",
                console: "readonly",
                Buffer: "readonly",
                setTimeout: "readonly",
                URL: "readonly",
            },
        },
        rules: { "@typescript-eslint/no-require-imports": "off" },
    },
);
