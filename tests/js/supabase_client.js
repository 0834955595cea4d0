// supabase-js against the stack (placeholder: being written).
'use strict';
