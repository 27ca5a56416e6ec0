-- Driven by tests/editors/test_neovim.py: a real editor (headless Neovim 0.7+) opens a config,
-- receives tunelint's diagnostic, requests the quick-fix, applies it, and sees the diagnostic go.
-- Uses the 0.7 API (vim.lsp.start_client + buf_attach_client), which later versions still have.
local cmd = vim.fn.json_decode(os.getenv("TUNELINT_CMD"))
local file = os.getenv("TUNELINT_FILE")
local out = os.getenv("TUNELINT_OUT")
local result = { steps = {} }

local function finish()
  local fh = io.open(out, "w")
  fh:write(vim.fn.json_encode(result))
  fh:close()
  vim.cmd("qa!")
end

local function step(name, value)
  table.insert(result.steps, name)
  result[name] = value
end

local ok, err = pcall(function()
  vim.cmd("edit " .. vim.fn.fnameescape(file))
  local client_id = vim.lsp.start_client({
    name = "tunelint",
    cmd = cmd,
    root_dir = vim.fn.fnamemodify(file, ":h"),
  })
  assert(client_id, "client did not start")
  vim.lsp.buf_attach_client(0, client_id)

  local got = vim.wait(30000, function() return #vim.diagnostic.get(0) > 0 end, 50)
  assert(got, "no diagnostics arrived")
  local diags = vim.diagnostic.get(0)
  local d = diags[1]
  step("diagnostic", { code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code),
                       lnum = d.lnum, col = d.col, end_col = d.end_col, message = d.message })

  local client = vim.lsp.get_client_by_id(client_id)
  local params = {
    textDocument = vim.lsp.util.make_text_document_params(),
    range = { start = { line = d.lnum, character = d.col },
              ["end"] = { line = d.end_lnum or d.lnum, character = d.end_col or d.col } },
    context = { diagnostics = vim.lsp.diagnostic.get_line_diagnostics(0, d.lnum) },
  }
  local response = client.request_sync("textDocument/codeAction", params, 20000, 0)
  assert(response and response.result, "no code actions: " .. vim.inspect(response))
  local titles, chosen = {}, nil
  for _, action in ipairs(response.result) do
    table.insert(titles, action.title)
    if action.isPreferred and not chosen then chosen = action end
  end
  step("actions", titles)
  assert(chosen, "no preferred quick-fix")
  if not chosen.edit then
    local resolved = client.request_sync("codeAction/resolve", chosen, 20000, 0)
    chosen = resolved.result
  end
  vim.lsp.util.apply_workspace_edit(chosen.edit, client.offset_encoding or "utf-16")
  step("applied", chosen.title)

  local cleared = vim.wait(30000, function() return #vim.diagnostic.get(0) == 0 end, 50)
  step("cleared", cleared)
  step("lines", vim.api.nvim_buf_get_lines(0, 0, -1, false))
end)
if not ok then result.error = tostring(err) end
finish()
